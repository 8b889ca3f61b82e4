//! Stations, slot loads and vehicles.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{StationCode, StationId, UserId, VehicleId};

use super::audit::append_audit;
use super::changes::log_change;
use super::rows::{StationRow, VehicleRow};
use super::sql::{conflict_or, in_tx, on_pool};
use super::{NewStation, SlotLoad, SqlStore, StationStore, StoreError, StoreResult};
use crate::domain::{AuditEntry, Station, Vehicle};

/// Gives a station's current and future slots a new capacity (bookings already made
/// stay: a lower capacity only stops new bookings until the load falls below it). The
/// slot in progress counts: it is still bookable until it ends, so a lane change must
/// reach it too.
macro_rules! resize_open_slots {
    ($tx:ident, $station:expr, $capacity:expr, $now:expr, $slot_minutes:expr) => {{
        let ended_if_started_by = $now - chrono::Duration::minutes(i64::from($slot_minutes));
        sqlx::query(
            "UPDATE slot_loads SET capacity = $2 WHERE station_id = $1 AND slot_start > $3",
        )
        .bind($station)
        .bind(i32::try_from($capacity).unwrap_or(i32::MAX))
        .bind(ended_if_started_by)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(super) use resize_open_slots;

#[async_trait]
impl StationStore for SqlStore {
    async fn create_station(&self, s: NewStation, audit: AuditEntry) -> StoreResult<Station> {
        let now = Utc::now();
        let row: StationRow = in_tx!(self, |tx, pg| {
            let row: StationRow = sqlx::query_as(
                "INSERT INTO stations (code, name, lat, lon, lanes, lanes_down, slot_minutes, service_minutes, timezone, \
                 open_minute, close_minute, early_grace_minutes, late_grace_minutes, price_paise_per_kg, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING *",
            )
            .bind(s.code.as_str())
            .bind(&s.name)
            .bind(s.lat)
            .bind(s.lon)
            .bind(i32::from(s.lanes))
            .bind(i32::from(s.slot_minutes))
            .bind(i32::from(s.service_minutes))
            .bind(s.timezone.name())
            .bind(i32::from(s.open_minute))
            .bind(i32::from(s.close_minute))
            .bind(i32::from(s.early_grace_minutes))
            .bind(i32::from(s.late_grace_minutes))
            .bind(s.price_paise_per_kg)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, "a station with this code already exists"))?;
            // Change 1 of every station is its creation, so a synced cursor is never 0
            // (0 asks for a full resync).
            log_change!(tx, row.id_for_audit(), "station", None::<uuid::Uuid>);
            let mut audit = audit;
            audit.target = format!("station:{}", row.id_for_audit());
            append_audit!(tx, audit);
            row
        });
        row.try_into()
    }

    async fn update_station(
        &self,
        s: &Station,
        read_at: DateTime<Utc>,
        slot_capacity: u32,
        audit: AuditEntry,
    ) -> StoreResult<Station> {
        let now = Utc::now();
        let row: StationRow = in_tx!(self, |tx, pg| {
            // Slot rows first, then the station row: the lock order every writer keeps.
            resize_open_slots!(tx, i64::from(s.id), slot_capacity, now, s.slot_minutes);
            let row: StationRow = sqlx::query_as(
                "UPDATE stations SET name = $2, lat = $3, lon = $4, lanes = $5, lanes_down = $6, \
                 slot_minutes = $7, service_minutes = $8, timezone = $9, open_minute = $10, \
                 close_minute = $11, early_grace_minutes = $12, late_grace_minutes = $13, \
                 price_paise_per_kg = $14, updated_at = $15 WHERE id = $1 AND updated_at = $16 RETURNING *",
            )
            .bind(i64::from(s.id))
            .bind(&s.name)
            .bind(s.lat)
            .bind(s.lon)
            .bind(i32::from(s.lanes))
            .bind(i32::from(s.lanes_down))
            .bind(i32::from(s.slot_minutes))
            .bind(i32::from(s.service_minutes))
            .bind(s.timezone.name())
            .bind(i32::from(s.open_minute))
            .bind(i32::from(s.close_minute))
            .bind(i32::from(s.early_grace_minutes))
            .bind(i32::from(s.late_grace_minutes))
            .bind(s.price_paise_per_kg)
            .bind(now)
            .bind(read_at)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| super::StoreError::Conflict("the station changed meanwhile".into()))?;
            log_change!(tx, i64::from(s.id), "station", None::<uuid::Uuid>);
            append_audit!(tx, audit);
            row
        });
        row.try_into()
    }

    async fn live_bookings_ahead(
        &self,
        station: StationId,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM bookings WHERE station_id = $1 AND slot_end > $2 \
                 AND status IN ('pending_payment', 'confirmed')",
            )
            .bind(i64::from(station))
            .bind(now)
            .fetch_one(p)
            .await?
        }))
    }

    async fn station(&self, id: StationId) -> StoreResult<Option<Station>> {
        let row: Option<StationRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM stations WHERE id = $1")
                .bind(i64::from(id))
                .fetch_optional(p)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    async fn station_by_code(&self, code: &StationCode) -> StoreResult<Option<Station>> {
        let row: Option<StationRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM stations WHERE code = $1")
                .bind(code.as_str())
                .fetch_optional(p)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    async fn stations(&self) -> StoreResult<Vec<Station>> {
        let rows: Vec<StationRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM stations ORDER BY id")
                .fetch_all(p)
                .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn slot_loads(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<SlotLoad>> {
        let rows: Vec<(DateTime<Utc>, i32, i32)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT slot_start, capacity, held FROM slot_loads \
                 WHERE station_id = $1 AND slot_start >= $2 AND slot_start < $3 ORDER BY slot_start",
            )
            .bind(i64::from(station))
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(slot_start, capacity, held)| SlotLoad {
                slot_start,
                capacity: u32::try_from(capacity).unwrap_or(0),
                held: u32::try_from(held).unwrap_or(0),
            })
            .collect())
    }

    async fn add_vehicle(&self, v: Vehicle, audit: AuditEntry) -> StoreResult<Vehicle> {
        let row: VehicleRow = in_tx!(self, |tx, pg| {
            let row = sqlx::query_as(
                "INSERT INTO vehicles (id, user_id, registration, created_at) VALUES ($1, $2, $3, $4) RETURNING *",
            )
            .bind(v.id.0)
            .bind(v.user_id.0)
            .bind(v.registration.as_str())
            .bind(v.created_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, "you have already added this vehicle"))?;
            append_audit!(tx, audit);
            row
        });
        row.try_into()
    }

    async fn vehicles(&self, user: UserId) -> StoreResult<Vec<Vehicle>> {
        let rows: Vec<VehicleRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM vehicles WHERE user_id = $1 ORDER BY created_at")
                .bind(user.0)
                .fetch_all(p)
                .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn vehicle(&self, id: VehicleId) -> StoreResult<Option<Vehicle>> {
        let row: Option<VehicleRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM vehicles WHERE id = $1")
                .bind(id.0)
                .fetch_optional(p)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    async fn remove_vehicle(
        &self,
        owner: UserId,
        id: VehicleId,
        audit: AuditEntry,
    ) -> StoreResult<()> {
        in_tx!(self, |tx, pg| {
            // On PostgreSQL, lock the row first: a booking being made of this vehicle
            // holds a key-share lock on it until it commits, so the check below then
            // sees that booking (SQLite transactions here are serial already).
            let lock = if pg {
                "SELECT id FROM vehicles WHERE id = $1 AND user_id = $2 FOR UPDATE"
            } else {
                "SELECT id FROM vehicles WHERE id = $1 AND user_id = $2"
            };
            let found: Option<uuid::Uuid> = sqlx::query_scalar(lock)
                .bind(id.0)
                .bind(owner.0)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound("vehicle"));
            }
            let live: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM bookings WHERE vehicle_id = $1 \
                 AND status IN ('pending_payment', 'confirmed')",
            )
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
            if live > 0 {
                return Err(StoreError::Conflict(format!(
                    "this vehicle has {live} live booking(s): cancel them first, then remove it"
                )));
            }
            // Past bookings keep their own copy of the registration (vehicle_id is
            // set to NULL by the foreign key).
            sqlx::query("DELETE FROM vehicles WHERE id = $1")
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, audit);
        });
        Ok(())
    }
}
