//! Payments, whoever asks: the checkout callback (`verify`), the gateway's webhooks
//! (`webhook`), the driver's receipt and the station's takings (`receipt.rs`), and the
//! payments pass and reconciliation the workers run (`pass.rs`). The rules are in
//! docs/architecture.md, "Payments"; invariant 4 is kept by the store
//! (`store/payments/confirm.rs`).

pub mod pass;
mod quiet_refunds;
pub mod receipt;
mod reconcile;
mod reconciled;
mod webhook;

use chrono::Utc;
use gasq_shared::BookingId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use webhook::{WebhookOutcome, webhook};

use super::{App, Invalid};
use crate::domain::BookingStatus;
use crate::payments::{GatewayError, signature};
use crate::store::{PaymentOutcome, PaymentSeen, PaymentSource, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the signature does not verify")]
    BadSignature,
    /// Webhooks are refused: no webhook secret is configured.
    #[error("no webhook secret is configured")]
    NoWebhookSecret,
    #[error("no booking has this order")]
    UnknownOrder,
    #[error("booking not found")]
    NotFound,
    #[error("no such open case at this station")]
    CaseNotFound,
    /// Not in test mode (the local checkout page only exists there).
    #[error("payments are live: pay through Razorpay Checkout")]
    NotTestMode,
    /// Ours, but not ready for it yet: the gateway should deliver it again later.
    #[error("not yet: deliver this again later")]
    RetryLater,
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Access(#[from] super::access::AccessError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, PaymentError>;

/// What Razorpay Checkout hands the page after a successful payment (its field names).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutCallback {
    pub razorpay_order_id: String,
    pub razorpay_payment_id: String,
    /// Hex HMAC-SHA256 of `order_id|payment_id` with the key secret.
    pub razorpay_signature: String,
}

/// What a payment did to its booking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentResult {
    pub booking_id: BookingId,
    pub status: BookingStatus,
    /// `confirmed` (now), `already_confirmed` (seen before), `already_recorded` (seen
    /// before, and the booking was cancelled since), or `refunding` (the payment came
    /// too late or twice: it is being refunded in full).
    pub outcome: String,
    /// What happened, in words for the driver.
    pub message: String,
}

fn check_id(field: &str, value: &str) -> Result<()> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            "the id as Razorpay Checkout gave it (letters, digits, _ and -)",
        )
        .into())
    }
}

/// The checkout callback: the signature proves the gateway made this payment for this
/// order; the booking is confirmed once, however often this and the webhooks arrive.
pub async fn verify(app: &App, cb: CheckoutCallback) -> Result<PaymentResult> {
    check_id("razorpay_order_id", &cb.razorpay_order_id)?;
    check_id("razorpay_payment_id", &cb.razorpay_payment_id)?;
    let message = signature::checkout_message(&cb.razorpay_order_id, &cb.razorpay_payment_id);
    if !signature::verifies(
        app.payments.key_secret().expose(),
        &message,
        &cb.razorpay_signature,
    ) {
        tracing::warn!(order = %cb.razorpay_order_id, "checkout callback with a bad signature");
        return Err(PaymentError::BadSignature);
    }
    let booking = app
        .store
        .booking_by_order(&cb.razorpay_order_id)
        .await?
        .ok_or(PaymentError::UnknownOrder)?;
    let seen = PaymentSeen {
        order_id: cb.razorpay_order_id,
        payment_id: cb.razorpay_payment_id,
        // The gateway takes a payment for the order's amount only.
        amount_paise: booking.amount_paise.unwrap_or_default(),
        captured: false,
        source: PaymentSource::Checkout,
    };
    let outcome = app.store.record_payment(seen, Utc::now()).await?;
    result(outcome)
}

/// The driver's view of a payment's outcome.
pub(crate) fn result(outcome: PaymentOutcome) -> Result<PaymentResult> {
    let (booking, outcome, message) = match outcome {
        PaymentOutcome::Confirmed(b) => (b, "confirmed", "Paid: your booking is confirmed."),
        // The webhook usually gets here before the page's callback: to the driver it is
        // the same good news.
        PaymentOutcome::AlreadyConfirmed(b)
            if matches!(
                b.status,
                BookingStatus::Confirmed | BookingStatus::Redeemed | BookingStatus::Completed
            ) =>
        {
            (b, "already_confirmed", "Paid: your booking is confirmed.")
        }
        PaymentOutcome::AlreadyConfirmed(b) => (
            b,
            "already_recorded",
            "This payment was recorded before; the booking has since been cancelled and any \
             refund is on its way.",
        ),
        PaymentOutcome::Refunding(b, _) => (
            b,
            "refunding",
            "This payment came after the booking was no longer held for you (or it was \
             already paid): it is being refunded in full. Book a new slot.",
        ),
        PaymentOutcome::UnknownOrder => return Err(PaymentError::UnknownOrder),
    };
    Ok(PaymentResult {
        booking_id: booking.id,
        status: booking.status,
        outcome: outcome.into(),
        message: message.into(),
    })
}

/// The local test-mode checkout: the driver pressed Pay (`succeed`) or Fail. The local
/// gateway makes the attempt and sends its webhook, which goes through the same handler
/// as Razorpay's; the page then posts the signed callback to `verify` itself.
pub async fn test_mode_pay(
    app: &App,
    booking: BookingId,
    succeed: bool,
) -> Result<crate::payments::test_mode::TestPayment> {
    let gateway = app.test_gateway.as_ref().ok_or(PaymentError::NotTestMode)?;
    let b = app
        .store
        .booking(booking)
        .await?
        .ok_or(PaymentError::NotFound)?;
    let order = b.payment_order_id.ok_or(PaymentError::UnknownOrder)?;
    let paid = gateway.pay(&order, succeed).await?;
    let hook = &paid.webhook;
    webhook(app, &hook.body, Some(&hook.signature), Some(&hook.event_id)).await?;
    Ok(paid)
}
