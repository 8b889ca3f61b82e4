//! The payment store's types: what is reported to it, what it answers, and the rows it
//! shows.

use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Booking;

/// Where news of a payment came from (the ledger's actor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentSource {
    /// The driver's browser, with the checkout signature.
    Checkout,
    /// A signed gateway webhook.
    Webhook,
    /// The reconciliation job asking the gateway.
    Reconciliation,
}

impl PaymentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checkout => "checkout",
            Self::Webhook => "gateway webhook",
            Self::Reconciliation => "reconciliation",
        }
    }
}

/// A successful (authorized or captured) payment the gateway vouched for.
#[derive(Debug, Clone)]
pub struct PaymentSeen {
    pub order_id: String,
    pub payment_id: String,
    pub amount_paise: i64,
    pub captured: bool,
    pub source: PaymentSource,
}

/// What a payment did to its booking.
#[derive(Debug, Clone)]
pub enum PaymentOutcome {
    /// It confirmed the booking (also a booking whose hold had lapsed while its place
    /// was still free).
    Confirmed(Booking),
    /// Seen before: nothing changed.
    AlreadyConfirmed(Booking),
    /// It came too late (the place went to someone else, or the booking was
    /// cancelled) or the booking was already paid: it is refunded in full.
    Refunding(Booking, RefundReason),
    /// No booking has this order.
    UnknownOrder,
}

/// Why a refund is owed; a payment is refunded at most once per reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    /// The fill cost less than the prepayment.
    Settlement,
    /// The booking was cancelled.
    Cancellation,
    /// The payment arrived after the hold lapsed and the place was gone, or after the
    /// booking was cancelled.
    LatePayment,
    /// A second payment for an already paid booking.
    DuplicatePayment,
}

impl RefundReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Settlement => "settlement",
            Self::Cancellation => "cancellation",
            Self::LatePayment => "late_payment",
            Self::DuplicatePayment => "duplicate_payment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Settlement,
            Self::Cancellation,
            Self::LatePayment,
            Self::DuplicatePayment,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// What a gateway's news about a refund did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundNews {
    Recorded,
    /// Seen before, or not a refund of ours: nothing to do.
    AlreadyKnown,
    /// Ours, but our request's answer is still in flight: ask the gateway to deliver
    /// the news again later.
    NotYetKnown,
}

/// A refund the gateway took and has not yet reported done (`sent`).
#[derive(Debug, Clone)]
pub struct SentRefund {
    pub booking_id: BookingId,
    pub station_id: StationId,
    pub payment_id: String,
    pub gateway_refund_id: String,
    pub amount_paise: i64,
    /// When GasQ decided to refund it.
    pub requested_at: DateTime<Utc>,
    /// When the gateway took it, or reconciliation last asked about it.
    pub checked_at: DateTime<Utc>,
}

/// A refund to send to the gateway, claimed by one worker for a while.
#[derive(Debug, Clone)]
pub struct RefundJob {
    pub id: Uuid,
    pub booking_id: BookingId,
    pub station_id: StationId,
    pub payment_id: String,
    pub amount_paise: i64,
    /// Bumped when the gateway reports a refund failed: a new attempt, a new key.
    pub generation: i32,
    pub attempts: i32,
}

impl RefundJob {
    /// The gateway's idempotency key for this attempt: every retry of it sends the same.
    pub fn idempotency_key(&self) -> String {
        format!("gasq-{}-{}", self.id.simple(), self.generation)
    }
}

/// A refund as the driver's receipt and the admin see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundRecord {
    #[schema(value_type = String)]
    pub id: Uuid,
    pub reason: RefundReason,
    pub amount_paise: i64,
    /// `requested`, `sent`, `processed` (the money is on its way back) or `failed`.
    pub status: String,
    pub gateway_refund_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A station's price from a moment on, and who set it (none: at the station's creation
/// or before prices were kept).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PriceChange {
    pub price_paise_per_kg: i64,
    pub from_at: DateTime<Utc>,
    #[schema(value_type = Option<String>)]
    pub set_by: Option<Uuid>,
}

/// A payment the gateway told us of, as the reconciliation compares them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnownPayment {
    pub id: String,
    pub booking_id: Uuid,
    pub station_id: i64,
    pub order_id: String,
    pub amount_paise: i64,
    pub status: String,
    pub created_at: DateTime<Utc>,
}
