//! Persistence. [`Store`] has one method per use case, grouped in sub-traits by area;
//! [`SqlStore`] implements them once for both backends (PostgreSQL for production,
//! SQLite as the embedded default), chosen by the scheme of the database URL.
//!
//! Invariant 1 (no slot over capacity) lives here: `held` in `slot_loads` is only ever
//! raised by a conditional `UPDATE … WHERE held < capacity` inside the booking's
//! transaction, so the database decides, never a read-then-write in the app.

mod audit;
mod bookings;
mod changes;
mod edges;
mod idempotency;
mod ingest;
mod keys;
mod postgres;
mod rows;
mod seal;
mod sql;
mod sqlite;
mod stations;
mod users;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{
    BookingId, DeviceId, EventId, Quantity, StationCode, StationId, UserId, VehicleId,
};

use crate::domain::{
    AuditEntry, Booking, BookingStatus, PaymentMethod, Role, Station, UserRecord, Vehicle,
};

pub use idempotency::{FirstAnswer, IDEMPOTENCY_KEY_TTL_HOURS};
pub use sql::{Backend, SqlStore};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A user to create (personal data already encrypted and hashed by the caller).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub name: String,
    pub email_enc: Vec<u8>,
    pub email_hash: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_hash: Option<Vec<u8>>,
    pub password_hash: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A refresh token to store (only its hash).
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub token_hash: Vec<u8>,
    pub family_id: uuid::Uuid,
    pub user_id: UserId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// It was valid; it is now used and its successor stored.
    Rotated(UserId),
    /// It had been used before: the whole family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// A station to create.
#[derive(Debug, Clone)]
pub struct NewStation {
    pub code: StationCode,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub lanes: u16,
    pub slot_minutes: u16,
    pub service_minutes: u16,
    pub timezone: chrono_tz::Tz,
    pub open_minute: u16,
    pub close_minute: u16,
    pub early_grace_minutes: u16,
    pub late_grace_minutes: u16,
    pub price_paise_per_kg: i64,
}

impl NewStation {
    /// A station with GasQ's default policy: 15-minute slots, 4 minutes a vehicle,
    /// Asia/Kolkata, open 24 hours, 15 minutes early and 30 late grace, ₹76/kg.
    pub fn with_defaults(
        code: StationCode,
        name: impl Into<String>,
        lat: f64,
        lon: f64,
        lanes: u16,
    ) -> Self {
        Self {
            code,
            name: name.into(),
            lat,
            lon,
            lanes,
            slot_minutes: 15,
            service_minutes: 4,
            timezone: chrono_tz::Asia::Kolkata,
            open_minute: 0,
            close_minute: 1440,
            early_grace_minutes: 15,
            late_grace_minutes: 30,
            price_paise_per_kg: 7_600,
        }
    }

    /// The station this would become (id 1 until the store assigns the real one), so
    /// policy edits can be checked before it exists.
    pub fn draft(&self) -> Station {
        let now = Utc::now();
        Station {
            id: StationId::new(1).unwrap_or_else(|_| unreachable!("1 is a valid station id")),
            code: self.code.clone(),
            name: self.name.clone(),
            lat: self.lat,
            lon: self.lon,
            lanes: self.lanes,
            lanes_down: 0,
            slot_minutes: self.slot_minutes,
            service_minutes: self.service_minutes,
            timezone: self.timezone,
            open_minute: self.open_minute,
            close_minute: self.close_minute,
            early_grace_minutes: self.early_grace_minutes,
            late_grace_minutes: self.late_grace_minutes,
            price_paise_per_kg: self.price_paise_per_kg,
            created_at: now,
            updated_at: now,
        }
    }
}

impl From<&Station> for NewStation {
    fn from(s: &Station) -> Self {
        Self {
            code: s.code.clone(),
            name: s.name.clone(),
            lat: s.lat,
            lon: s.lon,
            lanes: s.lanes,
            slot_minutes: s.slot_minutes,
            service_minutes: s.service_minutes,
            timezone: s.timezone,
            open_minute: s.open_minute,
            close_minute: s.close_minute,
            early_grace_minutes: s.early_grace_minutes,
            late_grace_minutes: s.late_grace_minutes,
            price_paise_per_kg: s.price_paise_per_kg,
        }
    }
}

/// A slot's live bookings against its capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotLoad {
    pub slot_start: DateTime<Utc>,
    pub capacity: u32,
    pub held: u32,
}

/// A booking to create. The slot's capacity is computed in the booking's transaction
/// from the station as it is then, less `walkin_reserve`.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub id: BookingId,
    pub user_id: UserId,
    pub vehicle_id: Option<VehicleId>,
    pub registration: Option<String>,
    pub station_id: StationId,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    /// Places of the slot kept for walk-ins (from the demand forecast; 0 without one).
    pub walkin_reserve: u32,
    pub quantity: Quantity,
    pub payment_method: PaymentMethod,
    pub status: BookingStatus,
    pub amount_paise: Option<i64>,
    pub payment_provider: Option<String>,
    pub payment_order_id: Option<String>,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub now: DateTime<Utc>,
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
}

/// A token signing key as stored.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    pub kid: u8,
    pub public_key: [u8; 32],
    pub private_key_enc: Vec<u8>,
    pub created_at: DateTime<Utc>,
    /// The key signs from this moment (until a newer key starts signing).
    pub signing_from: DateTime<Utc>,
}

/// One entry of the audit log as stored, with its place in the chain once sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Insertion order.
    pub id: i64,
    /// Chain position; `None` until the sealer links the entry (within a second).
    pub seq: Option<i64>,
    pub at_micros: i64,
    pub actor_id: Option<UserId>,
    pub actor_role: Option<String>,
    pub action: String,
    pub target: String,
    pub ip: Option<String>,
    pub detail: String,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
}

/// Filters for reading the audit log (newest first).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<UserId>,
    pub target: Option<String>,
    pub since_micros: Option<i64>,
    pub until_micros: Option<i64>,
    /// Entries with `id` below this (paging backwards).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Accounts, sessions and login throttling.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Fails with `Conflict` when the e-mail or phone is taken.
    async fn create_user(&self, user: NewUser, audit: AuditEntry) -> StoreResult<UserRecord>;
    /// By the keyed hash of an e-mail address or a phone number.
    async fn user_by_lookup(&self, hash: &[u8]) -> StoreResult<Option<UserRecord>>;
    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>>;
    async fn assign_station(
        &self,
        user: UserId,
        station: StationId,
        audit: AuditEntry,
    ) -> StoreResult<()>;
    async fn user_stations(&self, user: UserId) -> StoreResult<Vec<StationId>>;
    async fn record_login_failure(&self, account: &[u8], at: DateTime<Utc>) -> StoreResult<()>;
    async fn login_failures_since(&self, account: &[u8], since: DateTime<Utc>) -> StoreResult<u32>;
    async fn clear_login_failures(&self, account: &[u8]) -> StoreResult<()>;
    /// Forgets failed logins older than `before` (they no longer count).
    async fn prune_login_failures(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Starts a session (a login): stores its first refresh token and `audit`.
    async fn insert_refresh_token(
        &self,
        token: NewRefreshToken,
        audit: AuditEntry,
    ) -> StoreResult<()>;
    /// Uses `old_hash` once and stores `new` in the same family, atomically. When a used
    /// token comes back and its family is revoked, `reuse_audit` is appended with the
    /// family's owner as actor and target (ordinary rotations are not audited).
    async fn rotate_refresh_token(
        &self,
        old_hash: &[u8],
        new: NewRefreshToken,
        now: DateTime<Utc>,
        reuse_audit: AuditEntry,
    ) -> StoreResult<RefreshOutcome>;
    /// Ends the session `token_hash` belongs to (a logout). If that revoked anything,
    /// `audit` is appended with the session's owner as actor and target.
    async fn revoke_refresh_family(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<()>;
}

/// Stations, their slots' load, and drivers' vehicles.
#[async_trait]
pub trait StationStore: Send + Sync {
    /// Fails with `Conflict` when the code is taken.
    async fn create_station(&self, station: NewStation, audit: AuditEntry) -> StoreResult<Station>;
    /// Saves the station as given and re-sizes the capacity of its current and future
    /// slots — if nobody changed it since it was read (its `updated_at` is still the
    /// one given); `Conflict` otherwise, and the caller re-reads and re-applies.
    async fn update_station(
        &self,
        station: &Station,
        read_at: DateTime<Utc>,
        slot_capacity: u32,
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
    /// The request hash and first answer of an `Idempotency-Key` of this user, if it
    /// was used and has not expired by `now`.
    async fn idempotent_booking(
        &self,
        user: UserId,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Vec<u8>, FirstAnswer)>>;
    /// Forgets `Idempotency-Key`s that expired by `now`; returns how many.
    async fn prune_idempotency_keys(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    async fn bookings_for_user(&self, user: UserId, limit: i64) -> StoreResult<Vec<Booking>>;
    /// Cancels a live booking and frees its capacity; `Conflict` if it is not live.
    async fn cancel_booking(
        &self,
        id: BookingId,
        now: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<Booking>;
    /// Expires payment holds that lapsed before `now`, freeing their capacity.
    async fn expire_holds(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>>;
    /// Marks confirmed bookings whose window ended before `now` as no-shows.
    async fn mark_no_shows(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>>;
    async fn count_bookings_by_status(&self) -> StoreResult<Vec<(BookingStatus, i64)>>;
}

/// Token signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Fails with `Conflict` if the kid exists (another replica made it first).
    async fn insert_signing_key(&self, key: SigningKeyRecord, audit: AuditEntry)
    -> StoreResult<()>;
}

/// The hash-chained audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()>;
    async fn audit_entries(&self, filter: AuditFilter) -> StoreResult<Vec<AuditRecord>>;
    /// Sealed entries in chain order after `after_seq`, for verification.
    async fn audit_chain(&self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditRecord>>;
    /// Links up to `limit` committed, unsealed entries into the chain; returns how many.
    async fn seal_audit(&self, limit: i64) -> StoreResult<usize>;
    /// Entries not sealed yet.
    async fn unsealed_audit(&self) -> StoreResult<i64>;
}

/// A one-time enrollment code to store (its secret part hashed).
#[derive(Debug, Clone)]
pub struct NewEnrollmentCode {
    pub id: String,
    pub secret_hash: Vec<u8>,
    pub station_id: StationId,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An edge box to enroll.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub id: DeviceId,
    pub public_key: [u8; 32],
    pub hostname: Option<String>,
    pub version: Option<String>,
    pub attendant_secret_enc: Vec<u8>,
}

/// What presenting an enrollment code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollOutcome {
    Enrolled(StationId),
    Unknown,
    Expired,
    Used,
    /// The secret part was wrong; the code has this many tries left.
    WrongSecret {
        tries_left: u32,
    },
    /// Too many wrong tries: the code no longer works.
    Burned,
}

/// An enrolled edge box and what it last reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: DeviceId,
    pub station_id: StationId,
    pub public_key: [u8; 32],
    pub hostname: Option<String>,
    pub version: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_push_at: Option<DateTime<Utc>>,
    pub pulled_cursor: Option<i64>,
    pub outbox_depth: Option<i64>,
    pub oldest_unsent_at: Option<DateTime<Utc>>,
    /// Events the edge set aside because they were refused (as last reported).
    pub quarantined: Option<i64>,
}

/// Outbox health an edge reports with each request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceHealth {
    pub outbox_depth: Option<i64>,
    pub oldest_unsent_at: Option<DateTime<Utc>>,
    pub quarantined: Option<i64>,
}

/// One entry of a station's change log: what changed (the pull renders its state now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Booking(BookingId),
    Station,
    Keys,
}

/// A page of the change log after some cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePage {
    pub entries: Vec<(i64, ChangeKind)>,
    /// The newest change number of the station.
    pub head: i64,
    /// Changes up to here were pruned.
    pub floor: i64,
}

/// What ingesting a batch of edge events did, per event id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestResult {
    /// Taken now, or seen before (each counts once).
    pub acked: Vec<EventId>,
    /// How many of `acked` were new.
    pub new: usize,
}

/// A lane's state as the edge last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneState {
    pub lane: u16,
    pub up: bool,
    pub detail: Option<String>,
    pub since: DateTime<Utc>,
}

/// A case for a station admin to settle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciliationCase {
    pub id: uuid::Uuid,
    pub station_id: StationId,
    pub booking_id: Option<BookingId>,
    pub kind: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// A station's day in numbers, for its dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayCounts {
    pub by_status: Vec<(BookingStatus, i64)>,
    pub fills: i64,
    pub filled_kg: f64,
    pub rejected_scans: i64,
    pub walkins: i64,
}

/// The latest queue sample an edge reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSample {
    pub waiting: i64,
    pub lanes_up: i64,
    pub at: DateTime<Utc>,
}

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
    /// Seals the station's pending changes, then reads the numbered ones after `since`.
    async fn changes_since(
        &self,
        station: StationId,
        since: i64,
        limit: i64,
    ) -> StoreResult<ChangePage>;
    /// Numbers every station's pending changes; returns how many stations had some.
    async fn seal_changes(&self) -> StoreResult<usize>;
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
        events: Vec<gasq_shared::sync::EdgeEvent>,
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
}

/// Everything the cloud persists.
#[async_trait]
pub trait Store:
    UserStore + StationStore + BookingStore + KeyStore + AuditStore + EdgeStore
{
    fn backend(&self) -> Backend;
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
}
