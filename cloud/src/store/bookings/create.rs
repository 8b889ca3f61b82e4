//! Creating a booking: claim its `Idempotency-Key`, check the driver's and vehicle's
//! limits, take a place in its slot (sized from the station as it is inside this
//! transaction), insert it, log it for the edge, audit it — all or nothing.

use super::idempotency::{self, Claim};
use super::{CreateBooking, IdempotencyKey, NewBooking, limits};
use crate::domain::{AuditEntry, Booking, BookingStatus, slots};
use crate::store::booking_rows::BookingRow;
use crate::store::changes::{self, ChangeKind};
use crate::store::db::{Db, Tx, query};
use crate::store::ledger::{self, LedgerEntry, LedgerKind};
use crate::store::places;
use crate::store::stations::station_in;
use crate::store::{StoreError, StoreResult, audit, notifications};

pub(super) async fn create(
    db: &Db,
    b: NewBooking,
    idem: Option<IdempotencyKey>,
    entry: AuditEntry,
) -> StoreResult<CreateBooking> {
    let mut tx = db.begin().await?;
    if let Some(key) = &idem
        && !idempotency::claim(&mut tx, b.user_id, key, b.id, b.now).await?
    {
        // Seen before: answer as the first time (nothing written; dropping `tx` rolls
        // back).
        return replay(&mut tx, &b, key).await;
    }
    // Before any slot row (lock order). Dropping `tx` rolls back the key's claim too.
    if let Some(hit) = limits::check(&mut tx, &b).await? {
        return Ok(CreateBooking::Limited(hit));
    }
    // The slot's capacity from the station as it is now, inside this transaction: a
    // lane change that committed since the caller read the station counts. A plain
    // read, no lock — the station row comes after the slot rows in the lock order. (On
    // PostgreSQL a lane change committing between this read and our commit can still
    // miss the row this creates, until the station's next change; closing that needs a
    // station lock before the slot row, against the lock order.)
    let station = station_in(&mut tx, b.station_id)
        .await?
        .ok_or(StoreError::NotFound("station"))?;
    let capacity = slots::capacity(&station, b.forecast_walkins);
    if !places::take(
        &mut tx,
        b.station_id,
        b.slot_start,
        (capacity, b.forecast_walkins),
    )
    .await?
    {
        // Nothing was written but the key's claim. Without a key, roll back; with one,
        // commit the claim as the answer a retry with it gets.
        if let Some(key) = &idem {
            idempotency::remember_slot_full(&mut tx, b.user_id, &key.key).await?;
            tx.commit().await?;
        }
        return Ok(CreateBooking::SlotFull);
    }
    let row = insert(&mut tx, &b).await?;
    if let (Some(order), Some(amount)) = (&b.payment_order_id, b.amount_paise) {
        let entry = LedgerEntry {
            at: b.now,
            station_id: b.station_id,
            booking_id: Some(b.id),
            kind: LedgerKind::Order,
            amount_paise: amount,
            gateway_ref: Some(order.clone()),
            actor: format!("user:{}", b.user_id),
            detail: b.payment_provider.clone().unwrap_or_default(),
        };
        ledger::append(&mut tx, &entry).await?;
    }
    if b.status == BookingStatus::Confirmed {
        changes::log(&mut tx, b.station_id, ChangeKind::Booking(b.id)).await?;
    }
    let booking: Booking = row.try_into()?;
    if booking.status == BookingStatus::Confirmed {
        notifications::booking_confirmed(&mut tx, &booking, station.reminder_lead_minutes, b.now)
            .await?;
    }
    audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(CreateBooking::Created(booking))
}

/// The first answer to a key that was claimed before.
async fn replay(tx: &mut Tx, b: &NewBooking, key: &IdempotencyKey) -> StoreResult<CreateBooking> {
    let claim = idempotency::claimed(tx, b.user_id, &key.key).await?;
    if claim.request_hash() != key.request_hash.as_slice() {
        return Ok(CreateBooking::KeyReused);
    }
    match claim {
        Claim::SlotFull { .. } => Ok(CreateBooking::ReplayedSlotFull),
        Claim::Booked { booking, .. } => {
            let row: BookingRow = tx
                .fetch_one(query("SELECT * FROM bookings WHERE id = $1").bind(booking))
                .await?;
            Ok(CreateBooking::Replayed(row.try_into()?))
        }
    }
}

/// Inserts `b` under the first of its codes no other booking has; returns its row.
pub(crate) async fn insert(tx: &mut Tx, b: &NewBooking) -> StoreResult<BookingRow> {
    for code in &b.codes {
        let inserted: Option<BookingRow> = tx
            .fetch_optional(
                query(
                    "INSERT INTO bookings (id, code, user_id, vehicle_id, registration, station_id, \
                     slot_start, slot_end, quantity_centikg, payment_method, status, amount_paise, \
                     payment_provider, payment_order_id, hold_expires_at, valid_from, valid_until, \
                     created_at, updated_at, price_paise_per_kg) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                     $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19) \
                     ON CONFLICT DO NOTHING RETURNING *",
                )
                .bind(b.id)
                .bind(code)
                .bind(b.user_id)
                .bind(b.vehicle_id)
                .bind(b.registration.clone())
                .bind(b.station_id)
                .bind(b.slot_start)
                .bind(b.slot_end)
                .bind(i32::from(b.quantity.centikg()))
                .bind(b.payment_method.as_str())
                .bind(b.status.as_str())
                .bind(b.amount_paise)
                .bind(b.payment_provider.clone())
                .bind(b.payment_order_id.clone())
                .bind(b.hold_expires_at)
                .bind(b.valid_from)
                .bind(b.valid_until)
                .bind(b.now)
                .bind(b.price_paise_per_kg),
            )
            .await
            // The vehicle was removed after the caller read it (the only reference a
            // booking can lose: users and stations are not deleted).
            .map_err(|e| e.not_found_if_missing("vehicle"))?;
        if let Some(row) = inserted {
            return Ok(row);
        }
    }
    Err(StoreError::Conflict(
        "could not allocate a booking code: every lane code this booking may have is taken".into(),
    ))
}
