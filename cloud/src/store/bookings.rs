//! Bookings: creation under the capacity invariant (with idempotency keys, see
//! `idempotency.rs`), cancellation, lapsed holds and no-shows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, UserId};

use super::audit::append_audit;
use super::changes::log_change;
use super::idempotency::{self, claim_key, claimed_by, remember_slot_full};
use super::rows::{self, BookingRow, StationRow};
use super::sql::{in_tx, on_pool};
use super::{
    BookingStore, CreateBooking, FirstAnswer, IdempotencyKey, NewBooking, SqlStore, StoreError,
    StoreResult,
};
use crate::domain::{AuditEntry, Booking, BookingStatus, codes, slots};

/// Attempts at a fresh booking code before giving up (40-bit codes: a second attempt is
/// already a once-in-a-lifetime event).
const CODE_ATTEMPTS: usize = 5;

/// Frees the slot place a live booking held (inside the caller's transaction).
macro_rules! release {
    ($tx:ident, $row:expr) => {{
        let (station, slot) = $row.slot_key();
        sqlx::query("UPDATE slot_loads SET held = held - 1 WHERE station_id = $1 AND slot_start = $2 AND held > 0")
            .bind(station)
            .bind(slot)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Takes one place of `$b`'s slot if one is free under `$capacity`, inside `$tx`;
/// evaluates to whether it did.
///
/// IMPORTANT: invariant 1. The database takes the place only if one is free: the first
/// booking of a slot creates its row holding one place (when the slot has any), later
/// ones raise `held` only while it is below capacity. Concurrent bookings of the slot
/// serialise on its row.
macro_rules! take_place {
    ($tx:ident, $b:expr, $capacity:expr) => {{
        let capacity: u32 = $capacity;
        capacity > 0
            && sqlx::query(
                "INSERT INTO slot_loads (station_id, slot_start, capacity, held) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (station_id, slot_start) DO UPDATE SET held = slot_loads.held + 1 \
                 WHERE slot_loads.held < slot_loads.capacity",
            )
            .bind(i64::from($b.station_id))
            .bind($b.slot_start)
            .bind(i32::try_from(capacity).unwrap_or(i32::MAX))
            .execute(&mut *$tx)
            .await?
            .rows_affected()
                > 0
    }};
}

/// The booking's vehicle was removed after the caller read it (the only reference a
/// booking can lose: users and stations are not deleted): `NotFound("vehicle")`.
fn vehicle_gone_or(e: sqlx::Error) -> StoreError {
    if e.as_database_error()
        .is_some_and(|d| d.is_foreign_key_violation())
    {
        StoreError::NotFound("vehicle")
    } else {
        StoreError::Database(e)
    }
}

/// Inserts booking `$b` under a fresh booking code inside `$tx`; evaluates to its row.
macro_rules! insert_booking {
    ($tx:ident, $b:expr) => {{
        let mut inserted: Option<BookingRow> = None;
        for _ in 0..CODE_ATTEMPTS {
            inserted = sqlx::query_as(
                "INSERT INTO bookings (id, code, user_id, vehicle_id, registration, station_id, slot_start, slot_end, \
                 quantity_centikg, payment_method, status, amount_paise, payment_provider, payment_order_id, \
                 hold_expires_at, valid_from, valid_until, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) \
                 ON CONFLICT DO NOTHING RETURNING *",
            )
            .bind($b.id.0)
            .bind(codes::booking_code())
            .bind($b.user_id.0)
            .bind($b.vehicle_id.map(|v| v.0))
            .bind(&$b.registration)
            .bind(i64::from($b.station_id))
            .bind($b.slot_start)
            .bind($b.slot_end)
            .bind(i32::from($b.quantity.centikg()))
            .bind($b.payment_method.as_str())
            .bind($b.status.as_str())
            .bind($b.amount_paise)
            .bind(&$b.payment_provider)
            .bind(&$b.payment_order_id)
            .bind($b.hold_expires_at)
            .bind($b.valid_from)
            .bind($b.valid_until)
            .bind($b.now)
            .fetch_optional(&mut *$tx)
            .await
            .map_err(vehicle_gone_or)?;
            if inserted.is_some() {
                break;
            }
        }
        inserted.ok_or_else(|| StoreError::Conflict("could not allocate a booking code".into()))?
    }};
}

#[async_trait]
impl BookingStore for SqlStore {
    async fn create_booking(
        &self,
        b: NewBooking,
        idem: Option<IdempotencyKey>,
        audit: AuditEntry,
    ) -> StoreResult<CreateBooking> {
        let outcome = in_tx!(self, |tx, pg| {
            if let Some(key) = &idem
                && !claim_key!(tx, b, key)
            {
                // Seen before: answer as the first time (nothing written, roll back).
                let (hash, booking_id) = claimed_by!(tx, b, key);
                if hash != key.request_hash {
                    return Ok(CreateBooking::KeyReused);
                }
                if booking_id == idempotency::SLOT_FULL {
                    return Ok(CreateBooking::ReplayedSlotFull);
                }
                let row: BookingRow = sqlx::query_as("SELECT * FROM bookings WHERE id = $1")
                    .bind(booking_id)
                    .fetch_one(&mut *tx)
                    .await?;
                return Ok(CreateBooking::Replayed(row.try_into()?));
            }
            // The slot's capacity from the station as it is now, inside this
            // transaction: a lane change that committed since the caller read the
            // station counts. A plain read, no lock — the station row comes after the
            // slot rows in the lock order. (On PostgreSQL a lane change committing
            // between this read and our commit can still miss the row this creates,
            // until the station's next change; closing that needs a station lock
            // before the slot row, against the lock order.)
            let station: StationRow = sqlx::query_as("SELECT * FROM stations WHERE id = $1")
                .bind(i64::from(b.station_id))
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound("station"))?;
            let capacity = slots::capacity(&station.try_into()?, b.walkin_reserve);
            if take_place!(tx, b, capacity) {
                let row = insert_booking!(tx, b);
                if b.status == BookingStatus::Confirmed {
                    log_change!(tx, i64::from(b.station_id), "booking", Some(b.id.0));
                }
                append_audit!(tx, audit);
                CreateBooking::Created(row.try_into()?)
            } else {
                // Nothing was written but the key's claim. Without a key, roll back;
                // with one, commit the claim as the answer a retry with it gets.
                let Some(key) = &idem else {
                    return Ok(CreateBooking::SlotFull);
                };
                remember_slot_full!(tx, b, key);
                CreateBooking::SlotFull
            }
        });
        Ok(outcome)
    }

    async fn booking(&self, id: BookingId) -> StoreResult<Option<Booking>> {
        let row: Option<BookingRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM bookings WHERE id = $1")
                .bind(id.0)
                .fetch_optional(p)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    async fn idempotent_booking(
        &self,
        user: UserId,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Vec<u8>, FirstAnswer)>> {
        self.first_answer(user, key, now).await
    }

    async fn prune_idempotency_keys(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        self.prune_keys(now).await
    }

    async fn bookings_for_user(&self, user: UserId, limit: i64) -> StoreResult<Vec<Booking>> {
        let rows: Vec<BookingRow> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT * FROM bookings WHERE user_id = $1 ORDER BY slot_start DESC LIMIT $2",
            )
            .bind(user.0)
            .bind(limit)
            .fetch_all(p)
            .await?
        });
        rows::bookings(rows)
    }

    async fn cancel_booking(
        &self,
        id: BookingId,
        now: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<Booking> {
        let row: BookingRow = in_tx!(self, |tx, pg| {
            let row: Option<BookingRow> = sqlx::query_as(
                "UPDATE bookings SET status = 'cancelled', hold_expires_at = NULL, updated_at = $2 \
                 WHERE id = $1 AND status IN ('pending_payment', 'confirmed') RETURNING *",
            )
            .bind(id.0)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Err(StoreError::Conflict(
                    "only a pending or confirmed booking can be cancelled".into(),
                ));
            };
            release!(tx, row);
            // The edge must refuse this booking's token from now on.
            let (station, _) = row.slot_key();
            log_change!(tx, station, "booking", Some(row.id_for_audit()));
            append_audit!(tx, audit);
            row
        });
        row.try_into()
    }

    async fn expire_holds(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>> {
        let rows: Vec<BookingRow> = in_tx!(self, |tx, pg| {
            // SKIP LOCKED: replicas running this worker at once take disjoint rows.
            let sql = if pg {
                "UPDATE bookings SET status = 'expired', hold_expires_at = NULL, updated_at = $1 WHERE id IN \
                 (SELECT id FROM bookings WHERE status = 'pending_payment' AND hold_expires_at < $1 \
                  ORDER BY hold_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING *"
            } else {
                "UPDATE bookings SET status = 'expired', hold_expires_at = NULL, updated_at = $1 WHERE id IN \
                 (SELECT id FROM bookings WHERE status = 'pending_payment' AND hold_expires_at < $1 \
                  ORDER BY hold_expires_at LIMIT $2) RETURNING *"
            };
            let mut rows: Vec<BookingRow> = sqlx::query_as(sql)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            // One lock order for slot rows across all transactions: no deadlocks.
            rows.sort_by_key(|r| r.slot_key());
            for row in &rows {
                release!(tx, row);
            }
            // The audit head is locked last, after every slot row (lock order).
            for row in &rows {
                let entry = AuditEntry {
                    action: "booking.hold_expired".into(),
                    target: format!("booking:{}", row.id_for_audit()),
                    ..AuditEntry::default()
                };
                append_audit!(tx, entry);
            }
            rows
        });
        rows::bookings(rows)
    }

    async fn mark_no_shows(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>> {
        let rows: Vec<BookingRow> = in_tx!(self, |tx, pg| {
            let sql = if pg {
                "UPDATE bookings SET status = 'no_show', updated_at = $1 WHERE id IN \
                 (SELECT id FROM bookings WHERE status = 'confirmed' AND valid_until < $1 \
                  ORDER BY valid_until LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING *"
            } else {
                "UPDATE bookings SET status = 'no_show', updated_at = $1 WHERE id IN \
                 (SELECT id FROM bookings WHERE status = 'confirmed' AND valid_until < $1 \
                  ORDER BY valid_until LIMIT $2) RETURNING *"
            };
            let rows: Vec<BookingRow> = sqlx::query_as(sql)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            for row in &rows {
                let entry = AuditEntry {
                    action: "booking.no_show".into(),
                    target: format!("booking:{}", row.id_for_audit()),
                    ..AuditEntry::default()
                };
                append_audit!(tx, entry);
            }
            rows
        });
        rows::bookings(rows)
    }

    async fn count_bookings_by_status(&self) -> StoreResult<Vec<(BookingStatus, i64)>> {
        let rows: Vec<(String, i64)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT status, COUNT(*) FROM bookings GROUP BY status")
                .fetch_all(p)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| BookingStatus::parse(&s).map(|st| (st, n)))
            .collect())
    }
}
