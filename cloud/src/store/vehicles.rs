//! Drivers' vehicles. A vehicle leaves no hole when removed: its past bookings keep a
//! copy of its registration.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{UserId, VehicleId, VehicleReg};
use uuid::Uuid;

use super::db::{Lock, Query, query};
use super::stations::live_status_sql;
use super::{SqlStore, StoreError, StoreResult, audit};
use crate::domain::{AuditEntry, Vehicle};

/// Drivers' vehicles.
#[async_trait]
pub trait VehicleStore: Send + Sync {
    /// Fails with `Conflict` when the user already has this registration.
    async fn add_vehicle(&self, vehicle: Vehicle, audit: AuditEntry) -> StoreResult<Vehicle>;
    async fn vehicles(&self, user: UserId) -> StoreResult<Vec<Vehicle>>;
    async fn vehicle(&self, id: VehicleId) -> StoreResult<Option<Vehicle>>;
    /// Removes `owner`'s vehicle; its past bookings keep their registration. `NotFound`
    /// when it is not theirs, `Conflict` while a booking of it is live (pending payment
    /// or confirmed).
    async fn remove_vehicle(
        &self,
        owner: UserId,
        id: VehicleId,
        audit: AuditEntry,
    ) -> StoreResult<()>;
}

#[async_trait]
impl VehicleStore for SqlStore {
    async fn add_vehicle(&self, v: Vehicle, entry: AuditEntry) -> StoreResult<Vehicle> {
        let mut tx = self.db.begin().await?;
        let row: VehicleRow = tx
            .fetch_one(
                query(
                    "INSERT INTO vehicles (id, user_id, registration, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING *",
                )
                .bind(v.id)
                .bind(v.user_id)
                .bind(v.registration.as_str())
                .bind(v.created_at),
            )
            .await
            .map_err(|e| e.conflict_if_taken("you have already added this vehicle"))?;
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        row.try_into()
    }

    async fn vehicles(&self, user: UserId) -> StoreResult<Vec<Vehicle>> {
        let q = query("SELECT * FROM vehicles WHERE user_id = $1 ORDER BY created_at").bind(user);
        let rows: Vec<VehicleRow> = self.db.fetch_all(q).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn vehicle(&self, id: VehicleId) -> StoreResult<Option<Vehicle>> {
        let q = query("SELECT * FROM vehicles WHERE id = $1").bind(id);
        let row: Option<VehicleRow> = self.db.fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn remove_vehicle(
        &self,
        owner: UserId,
        id: VehicleId,
        entry: AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.db.begin().await?;
        // Lock the row first: a booking being made of this vehicle holds a key-share
        // lock on it until it commits, so the count below then sees that booking.
        let mine = tx.locked(
            "SELECT id FROM vehicles WHERE id = $1 AND user_id = $2",
            Lock::Update,
        );
        let found: Option<(Uuid,)> = tx.fetch_optional(mine.bind(id).bind(owner)).await?;
        if found.is_none() {
            return Err(StoreError::NotFound("vehicle"));
        }
        let live = format!(
            "SELECT COUNT(*) FROM bookings WHERE vehicle_id = $1 AND {}",
            live_status_sql()
        );
        let (live,): (i64,) = tx.fetch_one(Query::assembled(live).bind(id)).await?;
        if live > 0 {
            return Err(StoreError::Conflict(format!(
                "this vehicle has {live} live booking(s): cancel them first, then remove it"
            )));
        }
        // Past bookings keep their own copy of the registration (vehicle_id is set to
        // NULL by the foreign key).
        tx.execute(query("DELETE FROM vehicles WHERE id = $1").bind(id))
            .await?;
        audit::append(&mut tx, &entry).await?;
        tx.commit().await
    }
}

#[derive(sqlx::FromRow)]
struct VehicleRow {
    id: Uuid,
    user_id: Uuid,
    registration: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<VehicleRow> for Vehicle {
    type Error = StoreError;
    fn try_from(r: VehicleRow) -> Result<Self, StoreError> {
        Ok(Vehicle {
            id: r.id.into(),
            user_id: r.user_id.into(),
            registration: VehicleReg::parse(&r.registration).map_err(StoreError::corrupt)?,
            created_at: r.created_at,
        })
    }
}
