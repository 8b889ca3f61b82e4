//! What the workers do with money: send refunds that are due and capture payments left
//! authorized (`money_pass`), and compare GasQ's records with the gateway's
//! (`reconcile`, in `reconcile.rs`). Both run on every replica: refunds are claimed with `SKIP LOCKED`
//! and sent with an idempotency key, so two replicas never refund twice.

use chrono::{Duration, Utc};

use super::App;
use crate::payments::{GatewayError, RefundRequest};
use crate::store::{RefundJob, StoreError};

pub use super::reconcile::{Reconciled, reconcile};

/// Refunds claimed per pass, and how long a claim lasts.
const REFUND_BATCH: i64 = 50;
const REFUND_LEASE_SECS: i64 = 120;
/// A payment still only authorized after this long is captured by us.
const CAPTURE_AFTER_SECS: i64 = 120;

/// Sends due refunds and captures lingering authorized payments.
pub async fn money_pass(app: &App) -> Result<(), StoreError> {
    let now = Utc::now();
    let lease = Duration::seconds(REFUND_LEASE_SECS);
    for job in app.store.claim_refunds(now, lease, REFUND_BATCH).await? {
        send_refund(app, &job).await?;
    }
    // The local gateway's bank: refunds it took are processed now, and it says so by
    // webhook through the same handler as Razorpay's; one not handled stays pending and
    // is delivered again next pass.
    if let Some(local) = &app.test_gateway {
        match local.processed_refunds().await {
            Ok(hooks) => {
                for (refund, hook) in hooks {
                    let sig = Some(hook.signature.as_str());
                    match super::webhook(app, &hook.body, sig, Some(&hook.event_id)).await {
                        Ok(_) => {
                            if let Err(e) = local.refund_done(&refund).await {
                                tracing::warn!(%refund, error = %e, "test-mode refund not marked processed");
                            }
                        }
                        Err(e) => {
                            tracing::warn!(%refund, error = %e, "test-mode refund webhook not applied; again next pass")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "test-mode refunds not processed"),
        }
    }
    let before = now - Duration::seconds(CAPTURE_AFTER_SECS);
    for (payment, amount) in app.store.uncaptured_payments(before, REFUND_BATCH).await? {
        match app.payments.capture(&payment, amount).await {
            Ok(()) => app.store.record_capture(&payment, Utc::now()).await?,
            Err(e) => tracing::warn!(%payment, error = %e, "capture failed; trying again later"),
        }
    }
    Ok(())
}

async fn send_refund(app: &App, job: &RefundJob) -> Result<(), StoreError> {
    let request = RefundRequest {
        payment_id: job.payment_id.clone(),
        amount_paise: job.amount_paise,
        idempotency_key: job.idempotency_key(),
        refund_id: job.id,
        booking: job.booking_id,
    };
    match app.payments.refund(&request).await {
        Ok(refund) => {
            tracing::info!(booking = %job.booking_id, refund = %refund.id, amount = job.amount_paise, "refund sent");
            let processed = refund.status == "processed";
            app.store
                .refund_sent(job, &refund.id, processed, Utc::now())
                .await
        }
        Err(GatewayError::Unavailable(e)) => {
            let retry_at = Utc::now() + backoff(job.attempts);
            tracing::warn!(booking = %job.booking_id, error = %e, %retry_at, "refund not sent; retrying");
            app.store.refund_retry(job, &e, retry_at).await
        }
        Err(GatewayError::Refused(e)) => {
            tracing::error!(booking = %job.booking_id, error = %e, "refund refused by the gateway");
            app.store.refund_refused(job, &e, Utc::now()).await
        }
    }
}

/// 30 s, 1 min, 2 min, … up to an hour between attempts.
fn backoff(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 8) - 1;
    Duration::seconds((30_i64 << doublings).min(3600))
}
