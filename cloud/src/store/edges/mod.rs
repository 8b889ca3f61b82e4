//! Edge boxes: enrollment (`enrollment.rs`), devices and their health (`devices.rs`),
//! what a pull reads (`sync.rs`), and what a station's dashboard reads (`station.rs`).
//! Ingesting the events edges push is its own area (`store::ingest`).

mod demand;
mod devices;
mod enrollment;
mod station;
mod sync;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, DeviceId, StationId};

pub use demand::DemandHistory;
pub use devices::{Device, DeviceHealth, NewDevice};
pub use enrollment::{EnrollOutcome, NewEnrollmentCode};
pub use station::{DayCounts, LaneState, QueueSample, ReconciliationCase};

use super::changes::ChangePage;
use super::db::ChangeSignal;
use super::ingest::{self, IngestResult, ReceivedEvent};
use super::{SqlStore, StoreResult, seal};
use crate::domain::{AuditEntry, Booking};

/// Edge boxes: enrollment, sync, events, station health.
#[async_trait]
pub trait EdgeStore: Send + Sync {
    async fn create_enrollment_code(
        &self,
        code: NewEnrollmentCode,
        audit: AuditEntry,
    ) -> StoreResult<()>;
    /// Uses a code (once) to enroll `device`, counting wrong secrets against the code.
    async fn enroll_device(
        &self,
        code_id: &str,
        secret_hash: &[u8],
        device: NewDevice,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> StoreResult<EnrollOutcome>;
    async fn device(&self, id: DeviceId) -> StoreResult<Option<Device>>;
    async fn devices_for_station(&self, station: StationId) -> StoreResult<Vec<Device>>;
    /// Revokes `device` of `station` (every edge route then refuses it, and its held
    /// pull ends), with its audit entry; `false` when it was revoked already.
    async fn revoke_device(
        &self,
        device: (DeviceId, StationId),
        now: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<bool>;
    async fn attendant_secret_enc(&self, device: DeviceId) -> StoreResult<Option<Vec<u8>>>;
    /// Notes that `device` pulled up to `cursor` (and its health), at `now`.
    async fn record_pull(
        &self,
        device: DeviceId,
        now: DateTime<Utc>,
        cursor: i64,
        health: DeviceHealth,
    ) -> StoreResult<()>;
    async fn record_push(
        &self,
        device: DeviceId,
        now: DateTime<Utc>,
        health: DeviceHealth,
    ) -> StoreResult<()>;
    /// Fires when the station's change log next grows (on any replica). Take it before
    /// reading the log, then wait on it.
    fn change_signal(&self, station: StationId) -> ChangeSignal;
    /// Seals the station's pending changes, then reads the numbered ones after `since`.
    async fn changes_since(
        &self,
        station: StationId,
        since: i64,
        limit: i64,
    ) -> StoreResult<ChangePage>;
    /// Confirmed bookings whose window has not ended, and cancelled ones whose token
    /// would still be inside its window: the picture a full resync sends.
    async fn sync_snapshot(
        &self,
        station: StationId,
        now: DateTime<Utc>,
    ) -> StoreResult<(Vec<Booking>, Vec<BookingId>)>;
    async fn bookings_by_ids(&self, ids: &[BookingId]) -> StoreResult<Vec<Booking>>;
    /// Ingests events in order, each once; applies their effects (redemptions, fills,
    /// lane faults) and raises reconciliation cases, in one transaction.
    async fn ingest_events(
        &self,
        station: StationId,
        device: DeviceId,
        events: Vec<ReceivedEvent>,
        now: DateTime<Utc>,
    ) -> StoreResult<IngestResult>;
    async fn lanes(&self, station: StationId) -> StoreResult<Vec<LaneState>>;
    async fn day_counts(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<DayCounts>;
    async fn latest_queue(&self, station: StationId) -> StoreResult<Option<QueueSample>>;
    async fn open_cases(&self, station: StationId) -> StoreResult<Vec<ReconciliationCase>>;
    async fn count_events(&self, station: StationId) -> StoreResult<i64>;
    /// Arrivals and fills in `[from, to)`, for the demand forecast.
    async fn demand_history(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<DemandHistory>;
}

#[async_trait]
impl EdgeStore for SqlStore {
    async fn create_enrollment_code(
        &self,
        code: NewEnrollmentCode,
        audit: AuditEntry,
    ) -> StoreResult<()> {
        enrollment::create_code(&self.db, code, audit).await
    }

    async fn enroll_device(
        &self,
        code_id: &str,
        secret_hash: &[u8],
        device: NewDevice,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> StoreResult<EnrollOutcome> {
        enrollment::enroll(&self.db, code_id, secret_hash, device, now, max_attempts).await
    }

    async fn device(&self, id: DeviceId) -> StoreResult<Option<Device>> {
        devices::device(&self.db, id).await
    }

    async fn devices_for_station(&self, station: StationId) -> StoreResult<Vec<Device>> {
        devices::of_station(&self.db, station).await
    }

    async fn revoke_device(
        &self,
        device: (DeviceId, StationId),
        now: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<bool> {
        devices::revoke(&self.db, device, now, audit).await
    }

    async fn attendant_secret_enc(&self, device: DeviceId) -> StoreResult<Option<Vec<u8>>> {
        devices::attendant_secret_enc(&self.db, device).await
    }

    async fn record_pull(
        &self,
        device: DeviceId,
        now: DateTime<Utc>,
        cursor: i64,
        health: DeviceHealth,
    ) -> StoreResult<()> {
        devices::record_pull(&self.db, device, now, cursor, health).await
    }

    async fn record_push(
        &self,
        device: DeviceId,
        now: DateTime<Utc>,
        health: DeviceHealth,
    ) -> StoreResult<()> {
        devices::record_push(&self.db, device, now, health).await
    }

    fn change_signal(&self, station: StationId) -> ChangeSignal {
        self.db.change_signal(station)
    }

    async fn changes_since(
        &self,
        station: StationId,
        since: i64,
        limit: i64,
    ) -> StoreResult<ChangePage> {
        // Seal first, so an edge sees a change as soon as it committed.
        seal::seal_station(&self.db, station).await?;
        sync::changes_since(&self.db, station, since, limit).await
    }

    async fn sync_snapshot(
        &self,
        station: StationId,
        now: DateTime<Utc>,
    ) -> StoreResult<(Vec<Booking>, Vec<BookingId>)> {
        sync::snapshot(&self.db, station, now).await
    }

    async fn bookings_by_ids(&self, ids: &[BookingId]) -> StoreResult<Vec<Booking>> {
        let mut out = Vec::with_capacity(ids.len());
        // Pages are small (hundreds); one indexed lookup each keeps the SQL portable.
        for id in ids {
            if let Some(b) = super::BookingStore::booking(self, *id).await? {
                out.push(b);
            }
        }
        Ok(out)
    }

    async fn ingest_events(
        &self,
        station: StationId,
        device: DeviceId,
        events: Vec<ReceivedEvent>,
        now: DateTime<Utc>,
    ) -> StoreResult<IngestResult> {
        ingest::ingest(&self.db, station, device, events, now).await
    }

    async fn lanes(&self, station: StationId) -> StoreResult<Vec<LaneState>> {
        station::lanes(&self.db, station).await
    }

    async fn day_counts(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<DayCounts> {
        station::day_counts(&self.db, station, from, to).await
    }

    async fn latest_queue(&self, station: StationId) -> StoreResult<Option<QueueSample>> {
        station::latest_queue(&self.db, station).await
    }

    async fn open_cases(&self, station: StationId) -> StoreResult<Vec<ReconciliationCase>> {
        station::open_cases(&self.db, station).await
    }

    async fn demand_history(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<DemandHistory> {
        demand::demand_history(&self.db, station, from, to).await
    }

    async fn count_events(&self, station: StationId) -> StoreResult<i64> {
        station::count_events(&self.db, station).await
    }
}
