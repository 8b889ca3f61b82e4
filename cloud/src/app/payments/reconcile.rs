//! Reconciliation: GasQ's records against the gateway's over the last day, a case for
//! every difference (docs/architecture.md, "Payments"). Runs on every replica; cases
//! are unique per kind and subject.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::App;
use super::quiet_refunds::check_quiet_refunds;
pub use super::reconciled::Reconciled;
use super::reconciled::case;
use crate::domain::money;
use crate::store::{PaymentSeen, PaymentSource, StoreError};

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
