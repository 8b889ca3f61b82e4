//! Money in the store (docs/architecture.md, "Payments"): payments confirming their
//! bookings (`confirm.rs`, invariant 4), refunds requested once and sent until the
//! gateway takes them (`refunds.rs`), the append-only ledger (`ledger.rs`), and the
//! local test-mode gateway's records (`test_gateway.rs`).

mod confirm;
mod quiet;
mod refunds;
mod settle;
mod sql;
pub mod test_gateway;
mod types;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gasq_shared::{BookingId, StationId};
use uuid::Uuid;

pub use super::ledger::{LedgerEntry, LedgerKind};
pub(crate) use settle::{refund_on_cancel, settle_fill};
pub use types::{
    KnownPayment, PaymentOutcome, PaymentSeen, PaymentSource, PriceChange, RefundJob, RefundNews,
    RefundReason, RefundRecord, SentRefund,
};

use super::StoreResult;
use crate::domain::Booking;

/// Money in the store.
#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// Records a payment and confirms its booking once (invariant 4); a late or
    /// second payment is refunded in full instead.
    async fn record_payment(
        &self,
        seen: PaymentSeen,
        now: DateTime<Utc>,
    ) -> StoreResult<PaymentOutcome>;
    /// Records a failed payment attempt (the booking stays held while its hold lasts);
    /// returns whether it was news.
    async fn record_failed_payment(
        &self,
        order_id: &str,
        payment_id: &str,
        amount_paise: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Records that the gateway captured a payment.
    async fn record_capture(&self, payment_id: &str, now: DateTime<Utc>) -> StoreResult<()>;
    /// Payments authorized but not captured since `before`: (payment id, amount).
    async fn uncaptured_payments(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(String, i64)>>;
    /// Claims refunds due by `now` for `lease` (another worker may take them after).
    async fn claim_refunds(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> StoreResult<Vec<RefundJob>>;
    /// Refunds the gateway took before `before` and has not reported done (their
    /// `refund.processed` or `refund.failed` may have been lost), oldest first.
    async fn refunds_sent_before(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<SentRefund>>;
    /// Reconciliation asked the gateway about a refund still `sent`.
    async fn refund_checked(&self, gateway_refund_id: &str, now: DateTime<Utc>) -> StoreResult<()>;
    /// The gateway took the refund; `processed` when it says the money went back.
    async fn refund_sent(
        &self,
        job: &RefundJob,
        gateway_refund_id: &str,
        processed: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The gateway was unavailable: try again at `retry_at`.
    async fn refund_retry(
        &self,
        job: &RefundJob,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The gateway refused the refund: it stops, and a case is raised.
    async fn refund_refused(
        &self,
        job: &RefundJob,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// A `refund.processed` from the gateway (found by its id, or ours in its notes);
    /// returns whether it was news.
    async fn refund_processed(
        &self,
        gateway_refund_id: &str,
        ours: Option<Uuid>,
        payment_id: &str,
        amount_paise: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// A `refund.failed` from the gateway: the refund is requested again (a new
    /// attempt, a new idempotency key) after `retry_at`.
    async fn refund_failed(
        &self,
        gateway_refund_id: &str,
        ours: Option<Uuid>,
        reason: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<RefundNews>;
    /// Whether a webhook with this event id was handled before.
    async fn webhook_seen(&self, event_id: &str) -> StoreResult<bool>;
    /// Remembers a handled webhook event.
    async fn remember_webhook(
        &self,
        event_id: &str,
        event: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The booking with this gateway order.
    async fn booking_by_order(&self, order_id: &str) -> StoreResult<Option<Booking>>;
    /// A booking's refunds and ledger rows, oldest first.
    async fn booking_money(
        &self,
        booking: BookingId,
    ) -> StoreResult<(Vec<RefundRecord>, Vec<LedgerEntry>)>;
    /// A station's ledger rows in `[from, to)`, oldest first.
    async fn ledger_between(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<LedgerEntry>>;
    /// Online bookings made in `[from, to)` whose order was never paid, as far as we
    /// know (pending, or lapsed unpaid).
    async fn unpaid_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>>;
    /// Payments we recorded as created in `[from, to)`.
    async fn known_payments(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<KnownPayment>>;
    /// A station's prices, newest first.
    async fn price_history(&self, station: StationId) -> StoreResult<Vec<PriceChange>>;
    /// Enters the gateway's fee for a payment (once); whether it was new.
    async fn record_gateway_fee(
        &self,
        payment_id: &str,
        fee_paise: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Whether GasQ asked for the gateway refund with this id.
    async fn refund_known(&self, gateway_refund_id: &str) -> StoreResult<bool>;
    /// Closes an open case of `station` with what was done; `false` when there is no such
    /// open case.
    async fn resolve_case(
        &self,
        station: StationId,
        case: Uuid,
        resolution: &str,
        audit: crate::domain::AuditEntry,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Raises a reconciliation case once per (`kind`, `subject`); whether it was new.
    async fn raise_case(
        &self,
        station: StationId,
        booking: Option<BookingId>,
        kind: &str,
        subject: &str,
        detail: String,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
