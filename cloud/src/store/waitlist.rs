//! The waitlist: drivers waiting for a full slot, offered a freed place in turn.
//!
//! IMPORTANT: invariant 1 holds while offers are out. A place freed in a slot with
//! drivers waiting is not released: it passes to the first waiting driver as an offer,
//! still counted in `slot_loads.held`; accepting turns it into their booking without
//! taking another place; an offer that lapses or is declined passes it on, and only
//! with nobody left waiting is the place released to everyone.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{StationId, UserId, VehicleId};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::bookings::create::insert;
use super::bookings::{NewBooking, limits};
use super::changes::{self, ChangeKind};
use super::db::{Lock, query};
use super::notifications;
use super::offers::{lock_slot, release_or_offer};
use super::stations::station_in;
use super::{SqlStore, StoreError, StoreResult, audit};
use crate::domain::limits::LimitHit;
use crate::domain::{AuditEntry, Booking};

/// A place on the waitlist.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct WaitEntry {
    #[schema(value_type = String)]
    pub id: Uuid,
    pub station_id: i64,
    pub slot_start: DateTime<Utc>,
    #[schema(value_type = String)]
    pub user_id: Uuid,
    #[schema(value_type = String)]
    pub vehicle_id: Uuid,
    pub quantity_centikg: i32,
    /// `waiting`, `offered` (a place is held for you until `offer_expires_at`),
    /// `booked`, `lapsed` or `left`.
    pub status: String,
    pub offer_expires_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>)]
    pub booking_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// What joining did.
#[derive(Debug, Clone)]
pub enum Joined {
    /// On the list, `position` drivers from the front (1 = next).
    Waiting { entry: WaitEntry, position: i64 },
    /// The slot has a free place: book it instead.
    HasPlaces,
}

/// What accepting an offer did.
#[derive(Debug, Clone)]
pub enum Accepted {
    Booked(Box<Booking>),
    /// There is no live offer for this driver (never made, lapsed, or taken).
    NoOffer,
    Limited(LimitHit),
}

#[async_trait]
pub trait WaitlistStore: Send + Sync {
    /// Joins the waitlist of a full slot (once per driver and slot).
    async fn join_waitlist(
        &self,
        station: StationId,
        slot_start: DateTime<Utc>,
        user: UserId,
        vehicle: VehicleId,
        quantity_centikg: i32,
        now: DateTime<Utc>,
    ) -> StoreResult<Joined>;
    async fn waitlist_entry(&self, id: Uuid) -> StoreResult<Option<WaitEntry>>;
    /// The driver's live entries (waiting or offered), soonest slot first.
    async fn my_waitlist(&self, user: UserId) -> StoreResult<Vec<WaitEntry>>;
    /// Books the offered place of entry `id` as `booking` (its place is the offer's).
    async fn accept_offer(
        &self,
        id: Uuid,
        booking: NewBooking,
        audit: AuditEntry,
    ) -> StoreResult<Accepted>;
    /// Leaves the waitlist; an offered place passes on. `false` if not live.
    async fn leave_waitlist(&self, id: Uuid, user: UserId, now: DateTime<Utc>)
    -> StoreResult<bool>;
    /// Lapses offers not taken by `now`, passing their places on; how many.
    async fn expire_offers(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<usize>;
}

#[async_trait]
impl WaitlistStore for SqlStore {
    async fn join_waitlist(
        &self,
        station: StationId,
        slot_start: DateTime<Utc>,
        user: UserId,
        vehicle: VehicleId,
        quantity_centikg: i32,
        now: DateTime<Utc>,
    ) -> StoreResult<Joined> {
        let mut tx = self.db.begin().await?;
        let q = query(
            "SELECT held, capacity FROM slot_loads WHERE station_id = $1 AND slot_start = $2",
        )
        .bind(station)
        .bind(slot_start);
        let load: Option<(i32, i32)> = tx.fetch_optional(q).await?;
        if load.is_none_or(|(held, capacity)| held < capacity) {
            return Ok(Joined::HasPlaces);
        }
        let q = query(
            "INSERT INTO waitlist (id, station_id, slot_start, user_id, vehicle_id, quantity_centikg, \
             status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7, $7) \
             ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::now_v7())
        .bind(station)
        .bind(slot_start)
        .bind(user)
        .bind(vehicle)
        .bind(quantity_centikg)
        .bind(now);
        tx.execute(q).await?;
        let q = query(
            "SELECT * FROM waitlist WHERE station_id = $1 AND slot_start = $2 AND user_id = $3 \
             AND status IN ('waiting', 'offered')",
        )
        .bind(station)
        .bind(slot_start)
        .bind(user);
        let entry: WaitEntry = tx.fetch_one(q).await?;
        let q = query(
            "SELECT COUNT(*) FROM waitlist WHERE station_id = $1 AND slot_start = $2 \
             AND status = 'waiting' AND created_at <= $3",
        )
        .bind(station)
        .bind(slot_start)
        .bind(entry.created_at);
        let (position,): (i64,) = tx.fetch_one(q).await?;
        tx.commit().await?;
        Ok(Joined::Waiting { entry, position })
    }

    async fn waitlist_entry(&self, id: Uuid) -> StoreResult<Option<WaitEntry>> {
        self.db
            .fetch_optional(query("SELECT * FROM waitlist WHERE id = $1").bind(id))
            .await
    }

    async fn my_waitlist(&self, user: UserId) -> StoreResult<Vec<WaitEntry>> {
        let q = query(
            "SELECT * FROM waitlist WHERE user_id = $1 AND status IN ('waiting', 'offered') \
             ORDER BY slot_start",
        )
        .bind(user);
        self.db.fetch_all(q).await
    }

    async fn accept_offer(
        &self,
        id: Uuid,
        booking: NewBooking,
        entry: AuditEntry,
    ) -> StoreResult<Accepted> {
        let mut tx = self.db.begin().await?;
        // The slot's row before the waitlist's (lock order).
        lock_slot(&mut tx, booking.station_id, booking.slot_start).await?;
        let q = tx
            .locked(
                "SELECT * FROM waitlist WHERE id = $1 AND status = 'offered' AND offer_expires_at > $2",
                Lock::Update,
            )
            .bind(id)
            .bind(booking.now);
        let Some(offer) = tx.fetch_optional::<WaitEntry>(q).await? else {
            return Ok(Accepted::NoOffer);
        };
        if UserId::from(offer.user_id) != booking.user_id
            || offer.slot_start != booking.slot_start
            || i64::from(booking.station_id) != offer.station_id
        {
            return Ok(Accepted::NoOffer);
        }
        if let Some(hit) = limits::check(&mut tx, &booking).await? {
            return Ok(Accepted::Limited(hit));
        }
        // The offer's place becomes the booking's: `held` already counts it.
        let row = insert(&mut tx, &booking).await?;
        let b: Booking = row.try_into()?;
        tx.execute(
            query(
                "UPDATE waitlist SET status = 'booked', booking_id = $2, updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(b.id)
            .bind(booking.now),
        )
        .await?;
        changes::log(&mut tx, b.station_id, ChangeKind::Booking(b.id)).await?;
        let lead = station_in(&mut tx, b.station_id)
            .await?
            .map_or(30, |s| s.reminder_lead_minutes);
        notifications::booking_confirmed(&mut tx, &b, lead, booking.now).await?;
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Accepted::Booked(Box::new(b)))
    }

    async fn leave_waitlist(
        &self,
        id: Uuid,
        user: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some(entry) = self.waitlist_entry(id).await? else {
            return Ok(false);
        };
        if UserId::from(entry.user_id) != user {
            return Ok(false);
        }
        let station = StationId::try_from(entry.station_id).map_err(StoreError::corrupt)?;
        let mut tx = self.db.begin().await?;
        // The slot's row before the waitlist's (lock order): an offered place passes on.
        lock_slot(&mut tx, station, entry.slot_start).await?;
        let q = query(
            "UPDATE waitlist SET status = 'left', updated_at = $2 WHERE id = $1 \
             AND status IN ('waiting', 'offered') RETURNING *",
        )
        .bind(id)
        .bind(now);
        let Some(left) = tx.fetch_optional::<WaitEntry>(q).await? else {
            return Ok(false);
        };
        if left.offer_expires_at.is_some() {
            release_or_offer(&mut tx, station, left.slot_start, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn expire_offers(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<usize> {
        let q = query(
            "SELECT * FROM waitlist WHERE status = 'offered' AND offer_expires_at <= $1 \
             ORDER BY station_id, slot_start LIMIT $2",
        )
        .bind(now)
        .bind(limit);
        let due: Vec<WaitEntry> = self.db.fetch_all(q).await?;
        let mut lapsed = 0;
        for e in due {
            let station = StationId::try_from(e.station_id).map_err(StoreError::corrupt)?;
            let mut tx = self.db.begin().await?;
            // The slot's row first (lock order), then the offer — still offered and due
            // (another replica may have lapsed it, or its driver taken it, meanwhile).
            lock_slot(&mut tx, station, e.slot_start).await?;
            let done = tx
                .execute(
                    query(
                        "UPDATE waitlist SET status = 'lapsed', updated_at = $2 WHERE id = $1 \
                         AND status = 'offered' AND offer_expires_at <= $2",
                    )
                    .bind(e.id)
                    .bind(now),
                )
                .await?;
            if done > 0 {
                release_or_offer(&mut tx, station, e.slot_start, now).await?;
                lapsed += 1;
            }
            tx.commit().await?;
        }
        Ok(lapsed)
    }
}
