//! Refunds the gateway took and never reported done: their `refund.processed` or
//! `refund.failed` webhook was lost. Reconciliation asks the gateway about them.

use chrono::{DateTime, Duration, Utc};

use super::App;
use super::reconciled::{Reconciled, case};
use crate::domain::money;

/// A refund the gateway took this long ago without a word since is asked about.
const REFUND_QUIET_HOURS: i64 = 1;
/// Still pending this long after the gateway took it: a case for a person.
const REFUND_STUCK_DAYS: i64 = 10;

/// Asks the gateway about refunds it took and never reported done (their webhook
/// lost), and records what it says as the webhook would have: processed (into the
/// ledger), failed (requested again), or still pending after days (a case). Each is
/// asked an hour after it was sent, then less often as it ages (a quarter of its age
/// apart: a normal-speed refund takes days), oldest-asked first, so every replica
/// running this shares the work and stuck ones never crowd out the rest.
pub(super) async fn check_quiet_refunds(
    app: &App,
    found: &mut Reconciled,
    now: DateTime<Utc>,
) -> Result<(), anyhow::Error> {
    let quiet = now - Duration::hours(REFUND_QUIET_HOURS);
    for r in app.store.refunds_sent_before(quiet, 200).await? {
        let age = now - r.requested_at;
        if now - r.checked_at < (age / 4).max(Duration::hours(REFUND_QUIET_HOURS)) {
            continue;
        }
        let asked = app
            .payments
            .refund_status(&r.payment_id, &r.gateway_refund_id)
            .await;
        app.store.refund_checked(&r.gateway_refund_id, now).await?;
        let there = match asked {
            Ok(there) => there,
            Err(e) => {
                tracing::warn!(refund = %r.gateway_refund_id, error = %e, "refund status not known");
                continue;
            }
        };
        match there.status.as_str() {
            "processed" => {
                let (refund, payment) = (&r.gateway_refund_id, &r.payment_id);
                if app
                    .store
                    .refund_processed(refund, None, payment, r.amount_paise, now)
                    .await?
                {
                    found.refunds_settled += 1;
                }
            }
            "failed" => {
                let retry_at = now + Duration::minutes(1);
                let why = "the gateway reports the refund failed (found by reconciliation)";
                app.store
                    .refund_failed(&r.gateway_refund_id, None, why, retry_at, now)
                    .await?;
                found.refunds_settled += 1;
            }
            _ if age > Duration::days(REFUND_STUCK_DAYS) => {
                let detail = format!(
                    "refund {} ({}) of payment {} is still {} at the gateway {} days after GasQ \
                     asked for it: ask the gateway's support",
                    r.gateway_refund_id,
                    money::rupees(r.amount_paise),
                    r.payment_id,
                    there.status,
                    REFUND_STUCK_DAYS
                );
                let (station, booking) = (i64::from(r.station_id), Some(r.booking_id.0));
                let subject = r.gateway_refund_id.clone();
                case(
                    app,
                    found,
                    station,
                    booking,
                    "refund_stuck",
                    &subject,
                    detail,
                    now,
                )
                .await?;
            }
            _ => {}
        }
    }
    Ok(())
}
