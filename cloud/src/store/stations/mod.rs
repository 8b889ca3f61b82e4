//! Stations and the load of their slots.
//!
//! A slot's row (`slot_loads`) is made by its first booking and holds its capacity and
//! how many live bookings hold a place in it; `bookings` takes and frees the places.

pub mod lanes;
mod row;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gasq_shared::policy::StationPolicy;
use gasq_shared::{StationCode, StationId};

pub(crate) use row::StationRow;

use super::changes::{self, ChangeKind};
use super::db::{Query, Tx, query};
use super::{SqlStore, StoreError, StoreResult, audit, notifications};
use crate::domain::{AuditEntry, BookingStatus, Station, slots};

/// A station to create.
#[derive(Debug, Clone)]
pub struct NewStation {
    pub code: StationCode,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub policy: StationPolicy,
    pub price_paise_per_kg: i64,
    pub money: crate::domain::MoneyPolicy,
    pub reminder_lead_minutes: u16,
    pub wait_target_minutes: u16,
    pub walkin_reserve_share_percent: u16,
    pub min_bookable_places: u16,
}

/// A slot's live bookings against its capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotLoad {
    pub slot_start: DateTime<Utc>,
    pub capacity: u32,
    pub held: u32,
}

/// Stations and their slots' load.
#[async_trait]
pub trait StationStore: Send + Sync {
    /// Fails with `Conflict` when the code is taken.
    async fn create_station(&self, station: NewStation, audit: AuditEntry) -> StoreResult<Station>;
    /// Saves the station as given and re-sizes the capacity of its current and future
    /// slots (each keeping room for the walk-ins the forecast expected when it was
    /// sized) — if nobody changed it since it was read (its `updated_at` is still the
    /// one given); `Conflict` otherwise, and the caller re-reads and re-applies.
    async fn update_station(
        &self,
        station: &Station,
        read_at: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<Station>;
    /// Live (pending or confirmed) bookings of slots that have not ended yet.
    async fn live_bookings_ahead(&self, station: StationId, now: DateTime<Utc>)
    -> StoreResult<i64>;
    async fn station(&self, id: StationId) -> StoreResult<Option<Station>>;
    async fn station_by_code(&self, code: &StationCode) -> StoreResult<Option<Station>>;
    async fn stations(&self) -> StoreResult<Vec<Station>>;
    async fn slot_loads(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<SlotLoad>>;
    /// Moves the station to the next lane-code secret version and tells its edges;
    /// the new version. `NotFound` for an unknown station.
    async fn rotate_lane_codes(&self, station: StationId, audit: AuditEntry) -> StoreResult<u32>;
    /// The station's lanes in service over `[from, to)`.
    async fn lane_history(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<lanes::LaneHistory>;
}

/// `status IN (…)` over [`BookingStatus::LIVE`], for statements about live bookings.
pub(crate) fn live_status_sql() -> String {
    let names: Vec<String> = BookingStatus::LIVE
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("status IN ({})", names.join(", "))
}

/// The station as it is inside `tx`.
pub(crate) async fn station_in(tx: &mut Tx, id: StationId) -> StoreResult<Option<Station>> {
    let row: Option<StationRow> = tx
        .fetch_optional(query("SELECT * FROM stations WHERE id = $1").bind(id))
        .await?;
    row.map(TryInto::try_into).transpose()
}

/// Gives a station's current and future slots a new capacity (bookings already made
/// stay: a lower capacity only stops new bookings until the load falls below it). The
/// slot in progress counts: it is still bookable until it ends, so a lane change must
/// reach it too.
pub(crate) async fn resize_open_slots(
    tx: &mut Tx,
    station: &Station,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let ended_if_started_by = now - Duration::minutes(i64::from(station.policy.slot_minutes));
    // Each open slot keeps room for the walk-ins the forecast expected when it was
    // sized (a handful of distinct values: one statement each).
    let expected: Vec<(i32,)> = tx
        .fetch_all(
            query(
                "SELECT DISTINCT forecast_walkins FROM slot_loads \
                 WHERE station_id = $1 AND slot_start > $2",
            )
            .bind(station.id)
            .bind(ended_if_started_by),
        )
        .await?;
    for (walkins,) in expected {
        let capacity = slots::capacity(station, u32::try_from(walkins).unwrap_or(0));
        tx.execute(
            query(
                "UPDATE slot_loads SET capacity = $2 WHERE station_id = $1 AND slot_start > $3 \
                 AND forecast_walkins = $4",
            )
            .bind(station.id)
            .bind(i32::try_from(capacity).unwrap_or(i32::MAX))
            .bind(ended_if_started_by)
            .bind(walkins),
        )
        .await?;
    }
    Ok(())
}

/// Keeps the station's price history: a row whenever its price differs from the last.
async fn price_history(
    tx: &mut Tx,
    s: &Station,
    by: Option<gasq_shared::UserId>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        query(
            "INSERT INTO station_prices (station_id, price_paise_per_kg, from_at, set_by) \
             SELECT $1, $2, $3, $4 WHERE $2 <> COALESCE((SELECT price_paise_per_kg FROM \
             station_prices WHERE station_id = $1 ORDER BY from_at DESC, id DESC LIMIT 1), -1)",
        )
        .bind(s.id)
        .bind(s.price_paise_per_kg)
        .bind(now)
        .bind(by),
    )
    .await?;
    Ok(())
}

/// Binds a station's policy as the statement's first ten parameters, in the order of
/// [`POLICY_COLUMNS`].
fn bind_policy(q: Query, p: &StationPolicy) -> Query {
    q.bind(p.lanes)
        .bind(p.slot_minutes)
        .bind(p.service_minutes)
        .bind(p.timezone.name())
        .bind(p.opens_at.minutes())
        .bind(p.closes_at.minutes())
        .bind(p.early_grace_minutes)
        .bind(p.late_grace_minutes)
        .bind(p.walkin_reserve_min)
        .bind(i32::from(p.walkin_reserve_max_percent))
}

/// The policy's columns, in the order [`bind_policy`] binds them.
const POLICY_COLUMNS: &str = "lanes, slot_minutes, service_minutes, timezone, open_minute, \
     close_minute, early_grace_minutes, late_grace_minutes, walkin_reserve_min, \
     walkin_reserve_max_percent";

#[async_trait]
impl StationStore for SqlStore {
    async fn create_station(&self, s: NewStation, mut entry: AuditEntry) -> StoreResult<Station> {
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        let sql = format!(
            "INSERT INTO stations ({POLICY_COLUMNS}, code, name, lat, lon, lanes_down, \
             price_paise_per_kg, created_at, updated_at, fill_to_full_centikg, \
             refund_cutoff_minutes, cancel_fee_paise, reminder_lead_minutes, \
             calm_discount_paise_per_kg, wait_target_minutes, walkin_reserve_share_percent, \
             min_bookable_places) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, 0, $15, $16, $16, $17, $18, $19, $20, $21, $22, $23, $24) \
             RETURNING *"
        );
        let q = bind_policy(Query::assembled(sql), &s.policy)
            .bind(s.code.as_str())
            .bind(s.name)
            .bind(s.lat)
            .bind(s.lon)
            .bind(s.price_paise_per_kg)
            .bind(now)
            .bind(i32::from(s.money.fill_to_full_centikg))
            .bind(s.money.refund_cutoff_minutes)
            .bind(s.money.cancel_fee_paise)
            .bind(i32::from(s.reminder_lead_minutes))
            .bind(s.money.calm_discount_paise_per_kg)
            .bind(i32::from(s.wait_target_minutes))
            .bind(i32::from(s.walkin_reserve_share_percent))
            .bind(i32::from(s.min_bookable_places));
        let row: StationRow = tx
            .fetch_one(q)
            .await
            .map_err(|e| e.conflict_if_taken("a station with this code already exists"))?;
        let station = Station::try_from(row)?;
        price_history(&mut tx, &station, entry.actor_id, now).await?;
        // Change 1 of every station is its creation, so a synced cursor is never 0
        // (0 asks for a full resync).
        changes::log(&mut tx, station.id, ChangeKind::Station).await?;
        entry.target = format!("station:{}", station.id);
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(station)
    }

    async fn update_station(
        &self,
        s: &Station,
        read_at: DateTime<Utc>,
        entry: AuditEntry,
    ) -> StoreResult<Station> {
        let now = Utc::now();
        let mut tx = self.db.begin().await?;
        // Slot rows first, then the station row: the lock order every writer keeps.
        resize_open_slots(&mut tx, s, now).await?;
        let old = station_in(&mut tx, s.id).await?;
        let before = old
            .as_ref()
            .map_or(s.lanes_in_service(), Station::lanes_in_service);
        let sql = format!(
            "UPDATE stations SET ({POLICY_COLUMNS}, name, lat, lon, lanes_down, price_paise_per_kg, \
             updated_at, fill_to_full_centikg, refund_cutoff_minutes, cancel_fee_paise, \
             reminder_lead_minutes, calm_discount_paise_per_kg, wait_target_minutes, \
             walkin_reserve_share_percent, min_bookable_places) = ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $19, $20, $21, $22, $23, $24, $25, $26) \
             WHERE id = $17 AND updated_at = $18 RETURNING *"
        );
        let q = bind_policy(Query::assembled(sql), &s.policy)
            .bind(&s.name)
            .bind(s.lat)
            .bind(s.lon)
            .bind(s.lanes_down)
            .bind(s.price_paise_per_kg)
            .bind(now)
            .bind(s.id)
            .bind(read_at)
            .bind(i32::from(s.money.fill_to_full_centikg))
            .bind(s.money.refund_cutoff_minutes)
            .bind(s.money.cancel_fee_paise)
            .bind(i32::from(s.reminder_lead_minutes))
            .bind(s.money.calm_discount_paise_per_kg)
            .bind(i32::from(s.wait_target_minutes))
            .bind(i32::from(s.walkin_reserve_share_percent))
            .bind(i32::from(s.min_bookable_places));
        let row: StationRow = tx
            .fetch_optional(q)
            .await?
            .ok_or_else(|| StoreError::Conflict("the station changed meanwhile".into()))?;
        price_history(&mut tx, s, entry.actor_id, now).await?;
        lanes::record(&mut tx, s.id, before, s.lanes_in_service(), now).await?;
        if old.is_some_and(|o| o.reminder_lead_minutes != s.reminder_lead_minutes) {
            notifications::reschedule_station_reminders(
                &mut tx,
                s.id,
                s.reminder_lead_minutes,
                now,
            )
            .await?;
        }
        changes::log(&mut tx, s.id, ChangeKind::Station).await?;
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        row.try_into()
    }

    async fn lane_history(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<lanes::LaneHistory> {
        lanes::history(&self.db, station, from, to).await
    }

    async fn rotate_lane_codes(
        &self,
        station: StationId,
        mut entry: AuditEntry,
    ) -> StoreResult<u32> {
        let mut tx = self.db.begin().await?;
        let q = query(
            "UPDATE stations SET lane_code_version = lane_code_version + 1, updated_at = $2 \
             WHERE id = $1 RETURNING lane_code_version",
        )
        .bind(station)
        .bind(Utc::now());
        let (version,): (i32,) = tx
            .fetch_optional(q)
            .await?
            .ok_or_else(|| StoreError::NotFound("station"))?;
        changes::log(&mut tx, station, ChangeKind::Station).await?;
        entry.detail = serde_json::json!({ "version": version });
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        u32::try_from(version).map_err(|_| StoreError::corrupt("lane_code_version out of range"))
    }

    async fn live_bookings_ahead(
        &self,
        station: StationId,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM bookings WHERE station_id = $1 AND slot_end > $2 AND {}",
            live_status_sql()
        );
        let (n,): (i64,) = self
            .db
            .fetch_one(Query::assembled(sql).bind(station).bind(now))
            .await?;
        Ok(n)
    }

    async fn station(&self, id: StationId) -> StoreResult<Option<Station>> {
        let q = query("SELECT * FROM stations WHERE id = $1").bind(id);
        let row: Option<StationRow> = self.db.fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn station_by_code(&self, code: &StationCode) -> StoreResult<Option<Station>> {
        let q = query("SELECT * FROM stations WHERE code = $1").bind(code.as_str());
        let row: Option<StationRow> = self.db.fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn stations(&self) -> StoreResult<Vec<Station>> {
        let rows: Vec<StationRow> = self
            .db
            .fetch_all(query("SELECT * FROM stations ORDER BY id"))
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn slot_loads(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<SlotLoad>> {
        let q = query(
            "SELECT slot_start, capacity, held FROM slot_loads \
             WHERE station_id = $1 AND slot_start >= $2 AND slot_start < $3 ORDER BY slot_start",
        )
        .bind(station)
        .bind(from)
        .bind(to);
        let rows: Vec<(DateTime<Utc>, i32, i32)> = self.db.fetch_all(q).await?;
        Ok(rows
            .into_iter()
            .map(|(slot_start, capacity, held)| SlotLoad {
                slot_start,
                capacity: u32::try_from(capacity).unwrap_or(0),
                held: u32::try_from(held).unwrap_or(0),
            })
            .collect())
    }
}
