//! [`PaymentStore`] on the SQL store: each method one transaction, in the modules
//! beside this one.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gasq_shared::{BookingId, StationId};
use uuid::Uuid;

use super::*;
use crate::domain::Booking;
use crate::store::booking_rows::{BookingRow, bookings};
use crate::store::db::{Query, query};
use crate::store::{SqlStore, StoreResult};

#[async_trait]
impl PaymentStore for SqlStore {
    async fn record_payment(
        &self,
        seen: PaymentSeen,
        now: DateTime<Utc>,
    ) -> StoreResult<PaymentOutcome> {
        confirm::record_payment(&self.db, seen, now).await
    }

    async fn record_failed_payment(
        &self,
        order_id: &str,
        payment_id: &str,
        amount_paise: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        confirm::record_failed(&self.db, order_id, payment_id, amount_paise, reason, now).await
    }

    async fn record_capture(&self, payment_id: &str, now: DateTime<Utc>) -> StoreResult<()> {
        confirm::record_capture(&self.db, payment_id, now).await
    }

    async fn uncaptured_payments(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(String, i64)>> {
        let q = query(
            "SELECT id, amount_paise FROM payments WHERE status = 'authorized' AND updated_at < $1 \
             ORDER BY updated_at LIMIT $2",
        )
        .bind(before)
        .bind(limit);
        self.db.fetch_all(q).await
    }

    async fn refunds_sent_before(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<SentRefund>> {
        quiet::sent_before(&self.db, before, limit).await
    }

    async fn refund_checked(&self, gateway_refund_id: &str, now: DateTime<Utc>) -> StoreResult<()> {
        quiet::checked(&self.db, gateway_refund_id, now).await
    }

    async fn claim_refunds(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> StoreResult<Vec<RefundJob>> {
        refunds::claim(&self.db, now, lease, limit).await
    }

    async fn refund_sent(
        &self,
        job: &RefundJob,
        gateway_refund_id: &str,
        processed: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        refunds::sent(&self.db, job, gateway_refund_id, processed, now).await
    }

    async fn refund_retry(
        &self,
        job: &RefundJob,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let q = query(
            "UPDATE refunds SET last_error = $2, next_attempt_at = $3, updated_at = $3 \
             WHERE id = $1 AND status = 'requested'",
        )
        .bind(job.id)
        .bind(error)
        .bind(retry_at);
        self.db.execute(q).await?;
        Ok(())
    }

    async fn refund_refused(
        &self,
        job: &RefundJob,
        error: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        refunds::refused(&self.db, job, error, now).await
    }

    async fn refund_processed(
        &self,
        gateway_refund_id: &str,
        ours: Option<Uuid>,
        payment_id: &str,
        amount_paise: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        refunds::processed(
            &self.db,
            gateway_refund_id,
            ours,
            payment_id,
            amount_paise,
            now,
        )
        .await
    }

    async fn refund_failed(
        &self,
        gateway_refund_id: &str,
        ours: Option<Uuid>,
        reason: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<RefundNews> {
        refunds::failed_at_gateway(&self.db, gateway_refund_id, ours, reason, retry_at, now).await
    }

    async fn webhook_seen(&self, event_id: &str) -> StoreResult<bool> {
        let q = query("SELECT 1 FROM payment_webhook_events WHERE event_id = $1").bind(event_id);
        let found: Option<(i32,)> = self.db.fetch_optional(q).await?;
        Ok(found.is_some())
    }

    async fn remember_webhook(
        &self,
        event_id: &str,
        event: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let q = query(
            "INSERT INTO payment_webhook_events (event_id, event, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(event_id)
        .bind(event)
        .bind(now);
        self.db.execute(q).await?;
        Ok(())
    }

    async fn booking_by_order(&self, order_id: &str) -> StoreResult<Option<Booking>> {
        let q = query("SELECT * FROM bookings WHERE payment_order_id = $1").bind(order_id);
        let row: Option<BookingRow> = self.db.fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn booking_money(
        &self,
        booking: BookingId,
    ) -> StoreResult<(Vec<RefundRecord>, Vec<LedgerEntry>)> {
        Ok((
            refunds::of_booking(&self.db, booking).await?,
            crate::store::ledger::of_booking(&self.db, booking).await?,
        ))
    }

    async fn ledger_between(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<LedgerEntry>> {
        crate::store::ledger::between(&self.db, station, from, to).await
    }

    async fn unpaid_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>> {
        let q = query(
            "SELECT * FROM bookings WHERE payment_order_id IS NOT NULL AND payment_id IS NULL \
             AND status IN ('pending_payment', 'expired') AND created_at >= $1 AND created_at < $2 \
             ORDER BY created_at LIMIT $3",
        )
        .bind(from)
        .bind(to)
        .bind(limit);
        bookings(self.db.fetch_all::<BookingRow>(q).await?)
    }

    async fn known_payments(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<KnownPayment>> {
        let q = Query::assembled(
            "SELECT id, booking_id, station_id, order_id, amount_paise, status, created_at FROM payments \
             WHERE created_at >= $1 AND created_at < $2"
                .to_owned(),
        )
        .bind(from)
        .bind(to);
        self.db.fetch_all(q).await
    }

    async fn price_history(&self, station: StationId) -> StoreResult<Vec<PriceChange>> {
        let q = query(
            "SELECT price_paise_per_kg, from_at, set_by FROM station_prices WHERE station_id = $1 \
             ORDER BY from_at DESC, id DESC LIMIT 500",
        )
        .bind(station);
        self.db.fetch_all(q).await
    }

    async fn record_gateway_fee(
        &self,
        payment_id: &str,
        fee_paise: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        confirm::record_gateway_fee(&self.db, payment_id, fee_paise, now).await
    }

    async fn refund_known(&self, gateway_refund_id: &str) -> StoreResult<bool> {
        let q = query("SELECT 1 FROM refunds WHERE gateway_refund_id = $1").bind(gateway_refund_id);
        let found: Option<(i32,)> = self.db.fetch_optional(q).await?;
        Ok(found.is_some())
    }

    async fn resolve_case(
        &self,
        station: StationId,
        case: Uuid,
        resolution: &str,
        audit: crate::domain::AuditEntry,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        let done = tx
            .execute(
                query(
                    "UPDATE reconciliation_cases SET resolved_at = $3, resolved_by = $4, \
                     resolution = $5 WHERE id = $1 AND station_id = $2 AND resolved_at IS NULL",
                )
                .bind(case)
                .bind(station)
                .bind(now)
                .bind(audit.actor_id)
                .bind(resolution),
            )
            .await?;
        if done == 0 {
            return Ok(false);
        }
        crate::store::audit::append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn raise_case(
        &self,
        station: StationId,
        booking: Option<BookingId>,
        kind: &str,
        subject: &str,
        detail: String,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        let raised =
            crate::store::cases::raise(&mut tx, station, booking, kind, Some(subject), detail, now)
                .await?;
        tx.commit().await?;
        Ok(raised)
    }
}
