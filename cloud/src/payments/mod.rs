//! The payment gateway seam (docs/architecture.md, "Payments"): orders, captures,
//! refunds and look-ups, and the secrets that sign what the gateway sends back.
//!
//! [`razorpay::RazorpayGateway`] talks to Razorpay over HTTP (`GASQ_RAZORPAY_*`). With
//! no keys configured, [`test_mode::TestModeGateway`] stands in: a clearly labelled
//! local gateway that keeps its own records and signs its callbacks and webhooks with
//! local secrets, so the booking, verify, webhook, refund and reconciliation code run
//! exactly as they do against Razorpay.

pub mod razorpay;
pub mod signature;
pub mod test_mode;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use gasq_shared::{BookingId, StationId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::secret::Secret;

/// An order the driver pays against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentOrder {
    /// Which gateway made the order (`test_mode`, `razorpay`).
    pub provider: String,
    pub order_id: String,
    pub amount_paise: i64,
    pub currency: String,
}

/// An order to make: `amount_paise` in INR for `booking` at `station`.
#[derive(Debug, Clone, Copy)]
pub struct OrderRequest {
    pub booking: BookingId,
    pub station: StationId,
    pub amount_paise: i64,
}

/// A payment as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GatewayPayment {
    pub id: String,
    pub order_id: Option<String>,
    /// Paise.
    pub amount: i64,
    /// `created`, `authorized`, `captured`, `refunded` or `failed`.
    pub status: String,
    #[serde(default)]
    pub amount_refunded: i64,
    /// Seconds since the epoch.
    #[serde(default)]
    pub created_at: i64,
}

impl GatewayPayment {
    /// Authorized or captured (a refunded payment was captured before).
    pub fn succeeded(&self) -> bool {
        matches!(self.status.as_str(), "authorized" | "captured" | "refunded")
    }
}

/// One transaction in the gateway's settlements (Razorpay's settlement recon).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SettlementItem {
    /// The payment or refund id.
    pub entity_id: String,
    /// `payment`, `refund`, `adjustment`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: i64,
    /// The gateway's fee, tax included.
    #[serde(default)]
    pub fee: i64,
    #[serde(default)]
    pub settled: bool,
    /// For a refund: the payment it gave back.
    #[serde(default)]
    pub payment_id: Option<String>,
}

/// A refund to send: the same `idempotency_key` for every retry of one attempt.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub payment_id: String,
    pub amount_paise: i64,
    pub idempotency_key: String,
    pub refund_id: uuid::Uuid,
    pub booking: BookingId,
}

/// A refund as the gateway took it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GatewayRefund {
    pub id: String,
    /// `pending`, `processed` or `failed`.
    pub status: String,
    pub amount: i64,
}

/// Why a call to the gateway did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Timeouts, connection failures, 5xx, 429: try again later (every call we retry
    /// is idempotent or checked first, see `razorpay.rs`).
    #[error("the payment gateway is unavailable: {0}")]
    Unavailable(String),
    /// The gateway refused the request (4xx): retrying the same will not help.
    #[error("the payment gateway refused: {0}")]
    Refused(String),
}

/// What the cloud needs from a payment gateway.
#[async_trait]
pub trait PaymentGateway: Send + Sync + std::fmt::Debug {
    /// `razorpay` or `test_mode`; stored with each order.
    fn name(&self) -> &'static str;
    /// The public key id Razorpay Checkout is opened with; `None` in test mode.
    fn checkout_key_id(&self) -> Option<&str>;
    /// Signs checkout callbacks (`order_id|payment_id`).
    fn key_secret(&self) -> &Secret;
    /// Signs webhooks; `None` when none is configured (webhooks are then refused).
    fn webhook_secret(&self) -> Option<&Secret>;

    async fn create_order(&self, order: OrderRequest) -> Result<PaymentOrder, GatewayError>;
    /// Captures an authorized payment; capturing a captured one is not an error.
    async fn capture(&self, payment_id: &str, amount_paise: i64) -> Result<(), GatewayError>;
    async fn refund(&self, refund: &RefundRequest) -> Result<GatewayRefund, GatewayError>;
    /// A refund as the gateway sees it now (reconciliation asks when its
    /// `refund.processed` or `refund.failed` never came).
    async fn refund_status(
        &self,
        payment_id: &str,
        refund_id: &str,
    ) -> Result<GatewayRefund, GatewayError>;
    /// Every payment attempt made against an order.
    async fn order_payments(&self, order_id: &str) -> Result<Vec<GatewayPayment>, GatewayError>;
    /// Payments created in `[from, to)`.
    async fn payments_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<GatewayPayment>, GatewayError>;
    /// The transactions of the settlements of `day` (UTC).
    async fn settlement_items(&self, day: NaiveDate) -> Result<Vec<SettlementItem>, GatewayError>;
}
