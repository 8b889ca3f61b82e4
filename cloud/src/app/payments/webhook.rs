//! The gateway's webhooks: signature checked over the raw body with the webhook
//! secret, deduplicated by event id, and each event applied so that any number and
//! order of deliveries (and checkout callbacks) has the effect of one.

use chrono::{Duration, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{App, PaymentError, Result};
use crate::payments::signature;
use crate::store::{PaymentOutcome, PaymentSeen, PaymentSource, RefundNews};

/// How long after a `refund.failed` the refund is tried again.
const REFUND_RETRY_AFTER_FAILURE_MINUTES: i64 = 10;

/// What a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    Applied,
    /// The same event was delivered before.
    Duplicate,
    /// An event GasQ does not act on (answered 200 so the gateway stops sending it).
    Ignored,
}

#[derive(Debug, Deserialize)]
struct Event {
    event: String,
    #[serde(default)]
    payload: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct Payment {
    id: String,
    order_id: Option<String>,
    amount: i64,
    status: String,
    #[serde(default)]
    error_description: Option<String>,
    /// The gateway's fee (tax included), once captured.
    #[serde(default)]
    fee: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Refund {
    id: String,
    payment_id: String,
    amount: i64,
    #[serde(default)]
    notes: serde_json::Value,
}

/// The event's `payload.<name>.entity`, or `None` (logged) when it is not what GasQ
/// understands: the event is signed, so answering 4xx would only make the gateway
/// deliver it again for a day and then disable the webhook; reconciliation finds what
/// such an event was about.
fn entity<T: serde::de::DeserializeOwned>(event: &Event, name: &str) -> Option<T> {
    match serde_json::from_value(event.payload[name]["entity"].clone()) {
        Ok(entity) => Some(entity),
        Err(e) => {
            tracing::error!(event = %event.event, error = %e, "a signed payment event GasQ cannot read: ignored");
            None
        }
    }
}

/// Handles one delivery: `raw` is the body exactly as received.
pub async fn webhook(
    app: &App,
    raw: &[u8],
    signature_header: Option<&str>,
    event_id_header: Option<&str>,
) -> Result<WebhookOutcome> {
    let Some(secret) = app.payments.webhook_secret() else {
        tracing::error!(
            "a payment webhook arrived but no webhook secret is configured: set GASQ_RAZORPAY_WEBHOOK_SECRET"
        );
        return Err(PaymentError::NoWebhookSecret);
    };
    let signed = signature_header.is_some_and(|s| signature::verifies(secret.expose(), raw, s));
    if !signed {
        tracing::warn!("payment webhook with a missing or bad signature refused");
        return Err(PaymentError::BadSignature);
    }
    let event: Event = serde_json::from_slice(raw)
        .map_err(|e| super::Invalid::new("body", format!("not a gateway event: {e}")))?;
    // Razorpay names each event in `X-Razorpay-Event-Id`; without one, the body is the
    // event (a redelivery is byte for byte the same).
    let event_id = match event_id_header {
        Some(id) if !id.is_empty() && id.len() <= 100 => id.to_owned(),
        _ => format!("sha256:{}", hex::encode(Sha256::digest(raw))),
    };
    if app.store.webhook_seen(&event_id).await? {
        return Ok(WebhookOutcome::Duplicate);
    }
    let outcome = apply(app, &event).await?;
    // Remembered after its effect committed: a crash in between means one more
    // delivery, which changes nothing.
    app.store
        .remember_webhook(&event_id, &event.event, Utc::now())
        .await?;
    Ok(outcome)
}

async fn apply(app: &App, event: &Event) -> Result<WebhookOutcome> {
    let now = Utc::now();
    match event.event.as_str() {
        "payment.authorized" | "payment.captured" | "order.paid" => {
            let Some(p) = entity::<Payment>(event, "payment") else {
                return Ok(WebhookOutcome::Ignored);
            };
            let Some(order_id) = p.order_id else {
                return Ok(WebhookOutcome::Ignored);
            };
            let seen = PaymentSeen {
                order_id,
                payment_id: p.id.clone(),
                amount_paise: p.amount,
                captured: event.event == "payment.captured" || p.status == "captured",
                source: PaymentSource::Webhook,
            };
            if matches!(
                app.store.record_payment(seen, now).await?,
                PaymentOutcome::UnknownOrder
            ) {
                return Ok(WebhookOutcome::Ignored);
            }
            if let Some(fee) = p.fee {
                app.store.record_gateway_fee(&p.id, fee, now).await?;
            }
        }
        "payment.failed" => {
            let Some(p) = entity::<Payment>(event, "payment") else {
                return Ok(WebhookOutcome::Ignored);
            };
            let Some(order_id) = p.order_id else {
                return Ok(WebhookOutcome::Ignored);
            };
            let why = p.error_description.unwrap_or_else(|| "failed".into());
            app.store
                .record_failed_payment(&order_id, &p.id, p.amount, &why, now)
                .await?;
        }
        "refund.processed" => {
            let Some(r) = entity::<Refund>(event, "refund") else {
                return Ok(WebhookOutcome::Ignored);
            };
            let ours = ours(&r);
            app.store
                .refund_processed(&r.id, ours, &r.payment_id, r.amount, now)
                .await?;
        }
        "refund.failed" => {
            let Some(r) = entity::<Refund>(event, "refund") else {
                return Ok(WebhookOutcome::Ignored);
            };
            let retry_at = now + Duration::minutes(REFUND_RETRY_AFTER_FAILURE_MINUTES);
            let news = app
                .store
                .refund_failed(
                    &r.id,
                    ours(&r),
                    "the gateway reported the refund failed",
                    retry_at,
                    now,
                )
                .await?;
            if news == RefundNews::NotYetKnown {
                return Err(PaymentError::RetryLater);
            }
        }
        _ => return Ok(WebhookOutcome::Ignored),
    }
    Ok(WebhookOutcome::Applied)
}

/// Our refund id, from the notes we sent with it.
fn ours(r: &Refund) -> Option<uuid::Uuid> {
    r.notes["refund_id"].as_str().and_then(|s| s.parse().ok())
}
