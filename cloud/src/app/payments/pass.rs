//! What the workers do with money: send refunds that are due and capture payments left
//! authorized (`money_pass`), and compare GasQ's records with the gateway's
//! (`reconcile`). Both run on every replica: refunds are claimed with `SKIP LOCKED`
//! and sent with an idempotency key, so two replicas never refund twice.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::App;
use crate::domain::money;
use crate::payments::{GatewayError, RefundRequest};
use crate::store::{PaymentSeen, PaymentSource, RefundJob, StoreError};

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

/// What a reconciliation run found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    /// Payments the gateway has that GasQ had missed (now recorded).
    pub recovered: usize,
    /// New cases raised.
    pub cases: usize,
    /// Refunds whose lost `refund.processed` or `refund.failed` was made good.
    pub refunds_settled: usize,
}

/// A refund the gateway took this long ago without a word since is asked about.
const REFUND_QUIET_HOURS: i64 = 1;
/// Still pending this long after the gateway took it: a case for a person.
const REFUND_STUCK_DAYS: i64 = 10;

/// How far back reconciliation looks.
const RECONCILE_WINDOW_HOURS: i64 = 24;
/// Payments younger than this may still be on their way to us: not compared yet.
const SETTLE_MINUTES: i64 = 10;

/// Compares GasQ's records with the gateway's over the last day and raises a case for
/// every difference: paid but not confirmed (recovered, and confirmed or refunded),
/// confirmed but not paid, amounts that differ, refunds GasQ did not make.
pub async fn reconcile(app: &App, now: DateTime<Utc>) -> Result<Reconciled, anyhow::Error> {
    let mut found = Reconciled::default();
    // 0. Refunds the gateway took and never reported done: their webhook was lost.
    //    First, and on its own, so a failure of the gateway's lists does not stop it.
    if let Err(e) = check_quiet_refunds(app, &mut found, now).await {
        tracing::warn!(error = %e, "refunds on their way not checked this time");
    }
    let from = now - Duration::hours(RECONCILE_WINDOW_HOURS);
    let settled = now - Duration::minutes(SETTLE_MINUTES);
    // What GasQ knows of (a little wider than the gateway's window: a payment is
    // recorded here a moment after the gateway made it).
    let mut ours: HashMap<String, _> = app
        .store
        .known_payments(from - Duration::hours(1), now + Duration::hours(1))
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    // 1. Orders still unpaid as far as we know: ask the gateway about each. A payment
    //    GasQ already knows (a late one, being refunded) is not news.
    for booking in app.store.unpaid_orders(from, settled, 500).await? {
        let Some(order) = booking.payment_order_id.clone() else {
            continue;
        };
        for p in app.payments.order_payments(&order).await? {
            if p.succeeded() && !ours.contains_key(&p.id) {
                recover(app, &mut found, &order, &p, now).await?;
            }
        }
    }
    ours.extend(
        app.store
            .known_payments(from - Duration::hours(1), now + Duration::hours(1))
            .await?
            .into_iter()
            .map(|p| (p.id.clone(), p)),
    );
    // 2. The day's payments, both ways.
    let theirs = app.payments.payments_between(from, now).await?;
    let mut seen_there = std::collections::HashSet::new();
    for p in &theirs {
        seen_there.insert(p.id.clone());
        let Some(order) = p.order_id.clone() else {
            continue;
        };
        match ours.get(&p.id) {
            None if p.succeeded() => recover(app, &mut found, &order, p, now).await?,
            Some(known) if p.succeeded() && known.amount_paise != p.amount => {
                let detail = format!(
                    "payment {} is {} at the gateway but {} in GasQ's records",
                    p.id,
                    money::rupees(p.amount),
                    money::rupees(known.amount_paise)
                );
                case(
                    app,
                    &mut found,
                    known.station_id,
                    Some(known.booking_id),
                    "amount_differs",
                    &p.id,
                    detail,
                    now,
                )
                .await?;
            }
            Some(known) if !p.succeeded() && known.status != "failed" => {
                let detail = format!(
                    "GasQ recorded payment {} as {} but the gateway says {}: the booking may be \
                     confirmed without being paid",
                    p.id, known.status, p.status
                );
                case(
                    app,
                    &mut found,
                    known.station_id,
                    Some(known.booking_id),
                    "confirmed_not_paid",
                    &p.id,
                    detail,
                    now,
                )
                .await?;
            }
            Some(known) if p.amount_refunded > 0 => {
                let refunded = refunded_by_us(app, known.booking_id.into()).await?;
                if p.amount_refunded > refunded {
                    let detail = format!(
                        "the gateway refunded {} of payment {} but GasQ refunded {}: a refund was \
                         made twice or outside GasQ",
                        money::rupees(p.amount_refunded),
                        p.id,
                        money::rupees(refunded)
                    );
                    case(
                        app,
                        &mut found,
                        known.station_id,
                        Some(known.booking_id),
                        "refund_mismatch",
                        &p.id,
                        detail,
                        now,
                    )
                    .await?;
                }
            }
            _ => {}
        }
    }
    // 3. The settlements of yesterday and today: each settled payment must be ours at
    //    its amount (its fee goes into the ledger), each settled refund one we asked for.
    for day in [(now - Duration::days(1)).date_naive(), now.date_naive()] {
        for item in app.payments.settlement_items(day).await? {
            check_settled(app, &mut found, &ours, &item, now).await?;
        }
    }
    // 4. Payments we hold as paid that the gateway does not list at all — among those
    //    made well inside the window the gateway was asked about.
    for known in ours.values() {
        let inside = known.created_at >= from + Duration::minutes(SETTLE_MINUTES)
            && known.created_at <= settled;
        if inside && known.status != "failed" && !seen_there.contains(&known.id) {
            let detail = format!(
                "GasQ recorded payment {} ({}) but the gateway does not know it: the booking \
                 may be confirmed without being paid",
                known.id,
                money::rupees(known.amount_paise)
            );
            case(
                app,
                &mut found,
                known.station_id,
                Some(known.booking_id),
                "confirmed_not_paid",
                &known.id,
                detail,
                now,
            )
            .await?;
        }
    }
    Ok(found)
}

/// Checks one settled transaction against GasQ's records.
async fn check_settled(
    app: &App,
    found: &mut Reconciled,
    ours: &HashMap<String, crate::store::KnownPayment>,
    item: &crate::payments::SettlementItem,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match item.kind.as_str() {
        "payment" => {
            let Some(known) = ours.get(&item.entity_id) else {
                // Not a payment of this window (or not GasQ's): the payments check
                // above recovers ours.
                return Ok(());
            };
            app.store
                .record_gateway_fee(&item.entity_id, item.fee, now)
                .await?;
            if known.amount_paise != item.amount {
                let detail = format!(
                    "payment {} was settled as {} but GasQ recorded {}",
                    item.entity_id,
                    money::rupees(item.amount),
                    money::rupees(known.amount_paise)
                );
                let (station, booking) = (known.station_id, Some(known.booking_id));
                case(
                    app,
                    found,
                    station,
                    booking,
                    "amount_differs",
                    &item.entity_id,
                    detail,
                    now,
                )
                .await?;
            }
        }
        "refund" if !app.store.refund_known(&item.entity_id).await? => {
            // Made outside GasQ (the gateway's dashboard) and its webhook lost too:
            // recorded as the webhook would have — into the ledger, with an
            // `unexpected_refund` case for the payment's station.
            let Some(payment) = item.payment_id.as_deref() else {
                tracing::warn!(refund = %item.entity_id, "a settled refund that names no payment");
                return Ok(());
            };
            if app
                .store
                .refund_processed(&item.entity_id, None, payment, item.amount, now)
                .await?
            {
                found.cases += 1;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Asks the gateway about refunds it took and never reported done (their webhook
/// lost), and records what it says as the webhook would have: processed (into the
/// ledger), failed (requested again), or still pending after days (a case). Each is
/// asked an hour after it was sent, then less often as it ages (a quarter of its age
/// apart: a normal-speed refund takes days), oldest-asked first, so every replica
/// running this shares the work and stuck ones never crowd out the rest.
async fn check_quiet_refunds(
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

/// A successful payment GasQ had missed: recorded now (confirming or refunding its
/// booking), and a case says so.
async fn recover(
    app: &App,
    found: &mut Reconciled,
    order: &str,
    p: &crate::payments::GatewayPayment,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let seen = PaymentSeen {
        order_id: order.to_owned(),
        payment_id: p.id.clone(),
        amount_paise: p.amount,
        captured: matches!(p.status.as_str(), "captured" | "refunded"),
        source: PaymentSource::Reconciliation,
    };
    let outcome = app.store.record_payment(seen, now).await?;
    if matches!(outcome, crate::store::PaymentOutcome::AlreadyConfirmed(_)) {
        return Ok(());
    }
    let Ok(result) = super::result(outcome) else {
        return Ok(()); // not one of our orders
    };
    found.recovered += 1;
    let Some(b) = app.store.booking(result.booking_id).await? else {
        return Ok(());
    };
    let detail = format!(
        "the gateway took payment {} ({}) that never reached GasQ (lost callback and webhooks); \
         recorded now: the booking is {}",
        p.id,
        money::rupees(p.amount),
        result.outcome.replace('_', " ")
    );
    case(
        app,
        found,
        i64::from(b.station_id),
        Some(b.id.0),
        "paid_not_confirmed",
        &p.id,
        detail,
        now,
    )
    .await
}

#[allow(clippy::too_many_arguments)] // one case's fields
async fn case(
    app: &App,
    found: &mut Reconciled,
    station: i64,
    booking: Option<uuid::Uuid>,
    kind: &str,
    subject: &str,
    detail: String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Ok(station) = gasq_shared::StationId::try_from(station) else {
        return Ok(());
    };
    if app
        .store
        .raise_case(station, booking.map(Into::into), kind, subject, detail, now)
        .await?
    {
        found.cases += 1;
    }
    Ok(())
}

/// What GasQ has had the gateway refund of a booking: taken (`sent`, still on its way
/// to the bank — the gateway counts it refunded at once) or `processed`.
async fn refunded_by_us(app: &App, booking: gasq_shared::BookingId) -> Result<i64, StoreError> {
    let (refunds, _) = app.store.booking_money(booking).await?;
    Ok(refunds
        .iter()
        .filter(|r| matches!(r.status.as_str(), "sent" | "processed"))
        .map(|r| r.amount_paise)
        .sum())
}
