//! Bookings and their life cycle: creation under the capacity invariant (`create.rs`,
//! with `Idempotency-Key`s in `idempotency.rs` and the per-driver and per-vehicle
//! limits in `limits.rs`), cancellation, lapsed holds and no-shows (`lifecycle.rs`).

pub(crate) mod create;
mod idempotency;
mod lifecycle;
pub(crate) mod limits;
mod moves;
mod window;

pub use moves::BookingMove;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, Quantity, StationId, UserId, VehicleId};

pub use idempotency::IDEMPOTENCY_KEY_TTL_HOURS;

use super::booking_rows::{BookingRow, bookings};
use super::db::{Query, query};
use super::{SqlStore, StoreError, StoreResult};
use crate::domain::limits::{LimitHit, Limits};
use crate::domain::money::{CancelRefund, CancelledBy};
use crate::domain::{AuditEntry, Booking, BookingStatus, PaymentMethod};

/// A booking to create. The slot's capacity is computed in the booking's transaction
/// from the station as it is then, less the walk-in reserve for `forecast_walkins`.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub id: BookingId,
    pub user_id: UserId,
    pub vehicle_id: Option<VehicleId>,
    pub registration: Option<String>,
    pub station_id: StationId,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    /// Walk-ins the demand forecast expects in this slot (0 without a forecast).
    pub forecast_walkins: u32,
    pub quantity: Quantity,
    pub payment_method: PaymentMethod,
    pub status: BookingStatus,
    pub amount_paise: Option<i64>,
    /// The station's price per kg now: the booking keeps it.
    pub price_paise_per_kg: i64,
    pub payment_provider: Option<String>,
    pub payment_order_id: Option<String>,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The booking's lane code and its fallbacks, tried in order until one is unused
    /// (each made with the next nonce: docs/architecture.md, "Lane codes").
    pub codes: Vec<String>,
    pub now: DateTime<Utc>,
    /// The driver's limits, checked in the booking's transaction.
    pub limits: Limits,
}

/// A cancelled booking, and what its cancellation refunds (when it was paid).
#[derive(Debug, Clone)]
pub struct Cancelled {
    pub booking: Booking,
    pub refund: Option<CancelRefund>,
}

/// An `Idempotency-Key` and the hash of the request body it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: Vec<u8>,
}

/// What `create_booking` did.
#[derive(Debug, Clone)]
pub enum CreateBooking {
    Created(Booking),
    /// The same key and body were seen before: here is that booking.
    Replayed(Booking),
    /// The same key and body were seen before, and the slot was full then.
    ReplayedSlotFull,
    /// The key was used before with a different body.
    KeyReused,
    SlotFull,
    /// A booking limit refuses it (nothing was written, not even the key's claim: a
    /// limit frees with time).
    Limited(LimitHit),
}

/// Bookings and their life cycle.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// `NotFound("vehicle")` when its vehicle was removed since the caller read it.
    async fn create_booking(
        &self,
        booking: NewBooking,
        idempotency: Option<IdempotencyKey>,
        audit: AuditEntry,
    ) -> StoreResult<CreateBooking>;
    async fn booking(&self, id: BookingId) -> StoreResult<Option<Booking>>;
    /// What a request with this `Idempotency-Key` of `user` was first answered, if the
    /// key was used with `request_hash` and has not expired by `now`; `KeyReused` when
    /// it was used with another request. `None`: a new key.
    async fn idempotent_answer(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CreateBooking>>;
    /// Forgets `Idempotency-Key`s that expired by `now`; returns how many.
    async fn prune_idempotency_keys(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    async fn bookings_for_user(&self, user: UserId, limit: i64) -> StoreResult<Vec<Booking>>;
    /// The booking limits that would refuse `b` as things stand, but for the hourly
    /// rate (for joining a waitlist).
    async fn standing_limit(&self, b: &NewBooking) -> StoreResult<Option<LimitHit>>;
    /// Who each lane is fuelling: the station's bookings redeemed since `since` and not
    /// yet completed, newest first — (lane, registration, code, redeemed at).
    async fn being_served(
        &self,
        station: StationId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(u16, Option<String>, String, DateTime<Utc>)>>;
    /// A station's live bookings whose slot ends after `from` and starts before `to`,
    /// earliest first, at most `limit`.
    async fn live_bookings_between(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>>;
    /// Cancels a live booking and frees its capacity; a paid one is refunded by the
    /// station's policy (in full when the station cancelled). `Conflict` if it is not
    /// live.
    async fn cancel_paid_booking(
        &self,
        id: BookingId,
        now: DateTime<Utc>,
        by: CancelledBy,
        audit: AuditEntry,
    ) -> StoreResult<Cancelled>;
    /// Cancels a live booking as its driver.
    async fn cancel_booking(
        &self,
        id: BookingId,
        now: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<Booking> {
        Ok(self
            .cancel_paid_booking(id, now, CancelledBy::Driver, audit)
            .await?
            .booking)
    }
    /// Records that the driver of a confirmed booking is coming (once: the first answer
    /// counts); the booking as it is.
    async fn mark_coming(&self, id: BookingId, now: DateTime<Utc>) -> StoreResult<Booking>;
    /// Live bookings of not-yet-started slots that hold more than their capacity (after
    /// a lane fault), the newest of each slot first: the ones to move.
    async fn overflowing_bookings(
        &self,
        station: StationId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Booking>>;
    /// Moves a booking to another slot if it is still where it was and the slot has a
    /// place; the booking as moved, or `None`.
    async fn move_booking(&self, m: BookingMove) -> StoreResult<Option<Booking>>;
    /// Moves a confirmed booking's `valid_until` later, with the first free code of
    /// `codes` (its lane code for the new window); the booking as it is after.
    async fn extend_window(
        &self,
        id: BookingId,
        valid_until: DateTime<Utc>,
        codes: &[String],
        audit: AuditEntry,
    ) -> StoreResult<Booking>;
    /// Expires payment holds that lapsed before `now`, freeing their capacity.
    async fn expire_holds(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>>;
    /// Marks confirmed bookings whose window ended before `now` as no-shows.
    async fn mark_no_shows(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>>;
    async fn count_bookings_by_status(&self) -> StoreResult<Vec<(BookingStatus, i64)>>;
}

#[async_trait]
impl BookingStore for SqlStore {
    async fn create_booking(
        &self,
        b: NewBooking,
        idem: Option<IdempotencyKey>,
        audit: AuditEntry,
    ) -> StoreResult<CreateBooking> {
        create::create(&self.db, b, idem, audit).await
    }

    async fn booking(&self, id: BookingId) -> StoreResult<Option<Booking>> {
        let q = query("SELECT * FROM bookings WHERE id = $1").bind(id);
        let row: Option<BookingRow> = self.db.fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn idempotent_answer(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<CreateBooking>> {
        let Some(claim) = idempotency::live_claim(&self.db, user, &key.key, now).await? else {
            return Ok(None);
        };
        if claim.request_hash() != key.request_hash.as_slice() {
            return Ok(Some(CreateBooking::KeyReused));
        }
        Ok(Some(match claim {
            idempotency::Claim::SlotFull { .. } => CreateBooking::ReplayedSlotFull,
            idempotency::Claim::Booked { booking, .. } => CreateBooking::Replayed(
                self.booking(booking)
                    .await?
                    .ok_or(StoreError::NotFound("booking"))?,
            ),
        }))
    }

    async fn prune_idempotency_keys(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        idempotency::prune(&self.db, now).await
    }

    async fn bookings_for_user(&self, user: UserId, limit: i64) -> StoreResult<Vec<Booking>> {
        let q =
            query("SELECT * FROM bookings WHERE user_id = $1 ORDER BY slot_start DESC LIMIT $2")
                .bind(user)
                .bind(limit);
        bookings(self.db.fetch_all(q).await?)
    }

    async fn standing_limit(&self, b: &NewBooking) -> StoreResult<Option<LimitHit>> {
        let mut tx = self.db.begin().await?;
        // Read only: dropped, never committed.
        limits::standing(&mut tx, b).await
    }

    async fn being_served(
        &self,
        station: StationId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(u16, Option<String>, String, DateTime<Utc>)>> {
        let q = query(
            "SELECT redeemed_lane, registration, code, redeemed_at FROM bookings \
             WHERE station_id = $1 AND status = 'redeemed' AND redeemed_lane IS NOT NULL \
             AND redeemed_at > $2 ORDER BY redeemed_at DESC LIMIT 200",
        )
        .bind(station)
        .bind(since);
        let rows: Vec<(i64, Option<String>, String, DateTime<Utc>)> = self.db.fetch_all(q).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(lane, reg, code, at)| Some((u16::try_from(lane).ok()?, reg, code, at)))
            .collect())
    }

    async fn live_bookings_between(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>> {
        let sql = format!(
            "SELECT * FROM bookings WHERE station_id = $1 AND slot_end > $2 AND slot_start < $3 \
             AND {} ORDER BY slot_start, created_at LIMIT $4",
            super::stations::live_status_sql()
        );
        let q = Query::assembled(sql)
            .bind(station)
            .bind(from)
            .bind(to)
            .bind(limit);
        bookings(self.db.fetch_all(q).await?)
    }

    async fn cancel_paid_booking(
        &self,
        id: BookingId,
        now: DateTime<Utc>,
        by: CancelledBy,
        audit: AuditEntry,
    ) -> StoreResult<Cancelled> {
        lifecycle::cancel(&self.db, id, now, by, audit).await
    }

    async fn overflowing_bookings(
        &self,
        station: StationId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Booking>> {
        moves::overflow(&self.db, station, now).await
    }

    async fn move_booking(&self, m: BookingMove) -> StoreResult<Option<Booking>> {
        moves::move_booking(&self.db, m).await
    }

    async fn extend_window(
        &self,
        id: BookingId,
        valid_until: DateTime<Utc>,
        codes: &[String],
        audit: AuditEntry,
    ) -> StoreResult<Booking> {
        window::extend(&self.db, id, valid_until, codes, audit).await
    }

    async fn mark_coming(&self, id: BookingId, now: DateTime<Utc>) -> StoreResult<Booking> {
        let mut tx = self.db.begin().await?;
        let q = query(
            "UPDATE bookings SET coming_at = $2, updated_at = $2 WHERE id = $1 \
             AND status = 'confirmed' AND coming_at IS NULL",
        )
        .bind(id)
        .bind(now);
        if tx.execute(q).await? > 0 {
            let row: BookingRow = tx
                .fetch_one(query("SELECT * FROM bookings WHERE id = $1").bind(id))
                .await?;
            let b = Booking::try_from(row)?;
            let notice =
                super::notifications::about(&b, "reminder-coming", serde_json::json!({}), now);
            super::notifications::enqueue(&mut tx, &notice, now).await?;
            tx.commit().await?;
            return Ok(b);
        }
        drop(tx);
        self.booking(id)
            .await?
            .ok_or(StoreError::NotFound("booking"))
    }

    async fn expire_holds(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>> {
        lifecycle::expire_holds(&self.db, now, limit).await
    }

    async fn mark_no_shows(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>> {
        lifecycle::mark_no_shows(&self.db, now, limit).await
    }

    async fn count_bookings_by_status(&self) -> StoreResult<Vec<(BookingStatus, i64)>> {
        let rows: Vec<(String, i64)> = self
            .db
            .fetch_all(query(
                "SELECT status, COUNT(*) FROM bookings GROUP BY status",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| BookingStatus::parse(&s).map(|st| (st, n)))
            .collect())
    }
}
