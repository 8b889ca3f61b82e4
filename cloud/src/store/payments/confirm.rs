//! A payment confirming its booking, once (invariant 4). Checkout callbacks, webhooks
//! and reconciliation all land here in any order and number: the booking row is locked,
//! and a payment id already on it changes nothing. A payment that comes after the hold
//! lapsed confirms the booking if its place is still free; otherwise, or when the
//! booking was cancelled or already paid, it is refunded in full.

use chrono::{DateTime, Utc};

use super::{PaymentOutcome, PaymentSeen, RefundReason, refunds};
use crate::domain::{AuditEntry, Booking, BookingStatus, money, slots};
use crate::store::booking_rows::BookingRow;
use crate::store::changes::{self, ChangeKind};
use crate::store::db::{Db, Lock, Tx, query};
use crate::store::ledger::{LedgerEntry, LedgerKind, append};
use crate::store::places;
use crate::store::stations::station_in;
use crate::store::{StoreError, StoreResult, audit, cases, notifications};

pub(super) async fn record_payment(
    db: &Db,
    seen: PaymentSeen,
    now: DateTime<Utc>,
) -> StoreResult<PaymentOutcome> {
    let mut tx = db.begin().await?;
    let q = tx
        .locked(
            "SELECT * FROM bookings WHERE payment_order_id = $1",
            Lock::Update,
        )
        .bind(seen.order_id.clone());
    let Some(row) = tx.fetch_optional::<BookingRow>(q).await? else {
        return Ok(PaymentOutcome::UnknownOrder);
    };
    let booking = Booking::try_from(row)?;
    remember(&mut tx, &booking, &seen, now).await?;
    if booking.payment_id.as_deref() == Some(seen.payment_id.as_str()) {
        tx.commit().await?;
        return Ok(PaymentOutcome::AlreadyConfirmed(booking));
    }
    // A payment already being refunded (it came late, or twice) stays refunded: it
    // never confirms the booking later, even if the place has come free since.
    if let Some(reason) = refunds::requested_for(&mut tx, &seen.payment_id).await? {
        tx.commit().await?;
        return Ok(PaymentOutcome::Refunding(booking, reason));
    }
    let reason = if booking.payment_id.is_some() {
        Some(RefundReason::DuplicatePayment)
    } else if confirmable(&mut tx, &booking, now).await? {
        None
    } else {
        Some(RefundReason::LatePayment)
    };
    if let Some(reason) = reason {
        refunds::request(
            &mut tx,
            &booking,
            &seen.payment_id,
            seen.amount_paise,
            reason,
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(PaymentOutcome::Refunding(booking, reason));
    }
    let confirmed = confirm(&mut tx, &booking, &seen, now).await?;
    tx.commit().await?;
    Ok(PaymentOutcome::Confirmed(confirmed))
}

/// Records the payment and its ledger rows (each gateway fact once).
async fn remember(
    tx: &mut Tx,
    booking: &Booking,
    seen: &PaymentSeen,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let status = if seen.captured {
        "captured"
    } else {
        "authorized"
    };
    tx.execute(
        query(
            "INSERT INTO payments (id, booking_id, station_id, order_id, amount_paise, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (id) DO UPDATE SET status = CASE WHEN payments.status = 'captured' \
             THEN 'captured' ELSE excluded.status END, updated_at = excluded.updated_at",
        )
        .bind(seen.payment_id.clone())
        .bind(booking.id)
        .bind(booking.station_id)
        .bind(seen.order_id.clone())
        .bind(seen.amount_paise)
        .bind(status)
        .bind(now),
    )
    .await?;
    let mut entry = LedgerEntry {
        at: now,
        station_id: booking.station_id,
        booking_id: Some(booking.id),
        kind: LedgerKind::Payment,
        amount_paise: seen.amount_paise,
        gateway_ref: Some(seen.payment_id.clone()),
        actor: seen.source.as_str().to_owned(),
        detail: format!("order {}", seen.order_id),
    };
    append(tx, &entry).await?;
    if seen.captured {
        entry.kind = LedgerKind::Capture;
        append(tx, &entry).await?;
    }
    Ok(())
}

/// Whether a payment can still confirm this booking: it is held for payment, or its
/// hold lapsed but its window is ahead and its slot has a free place (taken here).
async fn confirmable(tx: &mut Tx, b: &Booking, now: DateTime<Utc>) -> StoreResult<bool> {
    match b.status {
        BookingStatus::PendingPayment => Ok(true),
        BookingStatus::Expired if b.valid_until > now => {
            let station = station_in(tx, b.station_id)
                .await?
                .ok_or(StoreError::NotFound("station"))?;
            places::take(
                tx,
                b.station_id,
                b.slot_start,
                (slots::capacity(&station, 0), 0),
            )
            .await
        }
        _ => Ok(false),
    }
}

async fn confirm(
    tx: &mut Tx,
    b: &Booking,
    seen: &PaymentSeen,
    now: DateTime<Utc>,
) -> StoreResult<Booking> {
    let row: BookingRow = tx
        .fetch_one(
            query(
                "UPDATE bookings SET status = 'confirmed', payment_id = $2, paid_paise = $3, \
                 paid_at = $4, hold_expires_at = NULL, updated_at = $4 WHERE id = $1 RETURNING *",
            )
            .bind(b.id)
            .bind(seen.payment_id.clone())
            .bind(seen.amount_paise)
            .bind(now),
        )
        .await?;
    // The station's lanes must know the booking now.
    changes::log(tx, b.station_id, ChangeKind::Booking(b.id)).await?;
    let ordered = b.amount_paise.unwrap_or_default();
    if seen.amount_paise != ordered {
        let detail = format!(
            "booking {} was ordered at {} but payment {} paid {}: check the order in the \
             gateway's dashboard",
            b.id,
            money::rupees(ordered),
            seen.payment_id,
            money::rupees(seen.amount_paise)
        );
        let subject = Some(seen.payment_id.as_str());
        cases::raise(
            tx,
            b.station_id,
            Some(b.id),
            "amount_mismatch",
            subject,
            detail,
            now,
        )
        .await?;
    }
    let entry = AuditEntry {
        action: "booking.paid".into(),
        target: format!("booking:{}", b.id),
        detail: serde_json::json!({
            "payment_id": seen.payment_id, "amount_paise": seen.amount_paise,
            "source": seen.source.as_str(), "after_hold_lapsed": b.status == BookingStatus::Expired,
        }),
        ..AuditEntry::default()
    };
    audit::append(tx, &entry).await?;
    let confirmed: Booking = row.try_into()?;
    let station = station_in(tx, b.station_id)
        .await?
        .ok_or(StoreError::NotFound("station"))?;
    notifications::booking_confirmed(tx, &confirmed, station.reminder_lead_minutes, now).await?;
    Ok(confirmed)
}

pub(super) async fn record_failed(
    db: &Db,
    order_id: &str,
    payment_id: &str,
    amount_paise: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut tx = db.begin().await?;
    let q = query("SELECT * FROM bookings WHERE payment_order_id = $1").bind(order_id);
    let Some(row) = tx.fetch_optional::<BookingRow>(q).await? else {
        return Ok(false);
    };
    let booking = Booking::try_from(row)?;
    // A failure never overrides a success reported for the same payment.
    tx.execute(
        query(
            "INSERT INTO payments (id, booking_id, station_id, order_id, amount_paise, status, \
             detail, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'failed', $6, $7, $7) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(payment_id)
        .bind(booking.id)
        .bind(booking.station_id)
        .bind(order_id)
        .bind(amount_paise)
        .bind(reason)
        .bind(now),
    )
    .await?;
    let entry = LedgerEntry {
        at: now,
        station_id: booking.station_id,
        booking_id: Some(booking.id),
        kind: LedgerKind::PaymentFailed,
        amount_paise,
        gateway_ref: Some(payment_id.to_owned()),
        actor: "gateway webhook".into(),
        detail: reason.chars().take(200).collect(),
    };
    let news = append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(news)
}

pub(super) async fn record_capture(
    db: &Db,
    payment_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    let q = query(
        "UPDATE payments SET status = 'captured', updated_at = $2 WHERE id = $1 \
         RETURNING booking_id, station_id, order_id, amount_paise",
    )
    .bind(payment_id)
    .bind(now);
    let found: Option<(uuid::Uuid, i64, String, i64)> = tx.fetch_optional(q).await?;
    if let Some((booking, station, order, amount)) = found {
        let entry = LedgerEntry {
            at: now,
            station_id: gasq_shared::StationId::try_from(station).map_err(StoreError::corrupt)?,
            booking_id: Some(booking.into()),
            kind: LedgerKind::Capture,
            amount_paise: amount,
            gateway_ref: Some(payment_id.to_owned()),
            actor: "payments pass".into(),
            detail: format!("order {order}"),
        };
        append(&mut tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn record_gateway_fee(
    db: &Db,
    payment_id: &str,
    fee_paise: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if fee_paise <= 0 {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    let q = query("SELECT booking_id, station_id FROM payments WHERE id = $1").bind(payment_id);
    let Some((booking, station)) = tx.fetch_optional::<(uuid::Uuid, i64)>(q).await? else {
        return Ok(false);
    };
    let entry = LedgerEntry {
        at: now,
        station_id: gasq_shared::StationId::try_from(station).map_err(StoreError::corrupt)?,
        booking_id: Some(booking.into()),
        kind: LedgerKind::GatewayFee,
        amount_paise: fee_paise,
        gateway_ref: Some(payment_id.to_owned()),
        actor: "gateway".into(),
        detail: "the gateway's fee and its tax".into(),
    };
    let news = append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(news)
}
