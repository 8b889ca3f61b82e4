//! Row shapes as the database returns them, and their conversion to domain types.
//! The same structs decode from PostgreSQL and SQLite rows.

use chrono::{DateTime, Utc};
use gasq_shared::{Quantity, StationCode, StationId, VehicleReg};
use uuid::Uuid;

use super::{AuditRecord, SigningKeyRecord, StoreError};
use crate::domain::{Booking, BookingStatus, PaymentMethod, Role, Station, UserRecord, Vehicle};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn small(v: i32, what: &str) -> Result<u16, StoreError> {
    u16::try_from(v).map_err(|_| corrupt(format!("{what} {v} out of range")))
}

#[derive(sqlx::FromRow)]
pub(super) struct StationRow {
    id: i64,
    code: String,
    name: String,
    lat: f64,
    lon: f64,
    lanes: i32,
    lanes_down: i32,
    slot_minutes: i32,
    service_minutes: i32,
    timezone: String,
    open_minute: i32,
    close_minute: i32,
    early_grace_minutes: i32,
    late_grace_minutes: i32,
    price_paise_per_kg: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl StationRow {
    pub(super) fn id_for_audit(&self) -> i64 {
        self.id
    }
}

impl TryFrom<StationRow> for Station {
    type Error = StoreError;
    fn try_from(r: StationRow) -> Result<Self, StoreError> {
        Ok(Station {
            id: StationId::try_from(r.id).map_err(corrupt)?,
            code: StationCode::parse(&r.code).map_err(corrupt)?,
            name: r.name,
            lat: r.lat,
            lon: r.lon,
            lanes: small(r.lanes, "lanes")?,
            lanes_down: small(r.lanes_down, "lanes_down")?,
            slot_minutes: small(r.slot_minutes, "slot_minutes")?,
            service_minutes: small(r.service_minutes, "service_minutes")?,
            timezone: r
                .timezone
                .parse()
                .map_err(|_| corrupt(format!("time zone {}", r.timezone)))?,
            open_minute: small(r.open_minute, "open_minute")?,
            close_minute: small(r.close_minute, "close_minute")?,
            early_grace_minutes: small(r.early_grace_minutes, "early_grace_minutes")?,
            late_grace_minutes: small(r.late_grace_minutes, "late_grace_minutes")?,
            price_paise_per_kg: r.price_paise_per_kg,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct BookingRow {
    id: Uuid,
    code: String,
    user_id: Uuid,
    vehicle_id: Option<Uuid>,
    registration: Option<String>,
    station_id: i64,
    slot_start: DateTime<Utc>,
    slot_end: DateTime<Utc>,
    quantity_centikg: i32,
    payment_method: String,
    status: String,
    amount_paise: Option<i64>,
    payment_provider: Option<String>,
    payment_order_id: Option<String>,
    hold_expires_at: Option<DateTime<Utc>>,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl BookingRow {
    /// (station, slot start): the slot row this booking holds a place in.
    pub(super) fn slot_key(&self) -> (i64, DateTime<Utc>) {
        (self.station_id, self.slot_start)
    }

    pub(super) fn id_for_audit(&self) -> Uuid {
        self.id
    }
}

impl TryFrom<BookingRow> for Booking {
    type Error = StoreError;
    fn try_from(r: BookingRow) -> Result<Self, StoreError> {
        Ok(Booking {
            id: r.id.into(),
            code: r.code,
            user_id: r.user_id.into(),
            vehicle_id: r.vehicle_id.map(Into::into),
            registration: r.registration,
            station_id: StationId::try_from(r.station_id).map_err(corrupt)?,
            slot_start: r.slot_start,
            slot_end: r.slot_end,
            quantity: Quantity::from_centikg(
                u16::try_from(r.quantity_centikg).map_err(|_| corrupt("quantity"))?,
            ),
            payment_method: PaymentMethod::parse(&r.payment_method)
                .ok_or_else(|| corrupt(format!("payment method {}", r.payment_method)))?,
            status: BookingStatus::parse(&r.status)
                .ok_or_else(|| corrupt(format!("booking status {}", r.status)))?,
            amount_paise: r.amount_paise,
            payment_provider: r.payment_provider,
            payment_order_id: r.payment_order_id,
            hold_expires_at: r.hold_expires_at,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(super) fn bookings(rows: Vec<BookingRow>) -> Result<Vec<Booking>, StoreError> {
    rows.into_iter().map(Booking::try_from).collect()
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: Uuid,
    name: String,
    email_enc: Vec<u8>,
    phone_enc: Option<Vec<u8>>,
    password_hash: String,
    role: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: r.id.into(),
            name: r.name,
            email_enc: r.email_enc,
            phone_enc: r.phone_enc,
            password_hash: r.password_hash,
            role: Role::parse(&r.role).ok_or_else(|| corrupt(format!("role {}", r.role)))?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct VehicleRow {
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
            registration: VehicleReg::parse(&r.registration).map_err(corrupt)?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct KeyRow {
    kid: i32,
    public_key: Vec<u8>,
    private_key_enc: Vec<u8>,
    created_at: DateTime<Utc>,
    signing_from: DateTime<Utc>,
}

impl TryFrom<KeyRow> for SigningKeyRecord {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        Ok(SigningKeyRecord {
            kid: u8::try_from(r.kid).map_err(|_| corrupt("kid"))?,
            public_key: r
                .public_key
                .try_into()
                .map_err(|_| corrupt("public key length"))?,
            private_key_enc: r.private_key_enc,
            created_at: r.created_at,
            signing_from: r.signing_from,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: i64,
    seq: Option<i64>,
    at_micros: i64,
    actor_id: Option<Uuid>,
    actor_role: Option<String>,
    action: String,
    target: String,
    ip: Option<String>,
    detail: String,
    prev_hash: Option<Vec<u8>>,
    hash: Option<Vec<u8>>,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        AuditRecord {
            id: r.id,
            seq: r.seq,
            at_micros: r.at_micros,
            actor_id: r.actor_id.map(Into::into),
            actor_role: r.actor_role,
            action: r.action,
            target: r.target,
            ip: r.ip,
            detail: r.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DeviceRow {
    id: Uuid,
    station_id: i64,
    public_key: Vec<u8>,
    hostname: Option<String>,
    version: Option<String>,
    enrolled_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_seen_at: Option<DateTime<Utc>>,
    last_pull_at: Option<DateTime<Utc>>,
    last_push_at: Option<DateTime<Utc>>,
    pulled_cursor: Option<i64>,
    outbox_depth: Option<i64>,
    oldest_unsent_at: Option<DateTime<Utc>>,
    quarantined: Option<i64>,
}

impl TryFrom<DeviceRow> for super::Device {
    type Error = StoreError;
    fn try_from(r: DeviceRow) -> Result<Self, StoreError> {
        Ok(super::Device {
            id: r.id.into(),
            station_id: StationId::try_from(r.station_id).map_err(corrupt)?,
            public_key: r
                .public_key
                .try_into()
                .map_err(|_| corrupt("device key length"))?,
            hostname: r.hostname,
            version: r.version,
            enrolled_at: r.enrolled_at,
            revoked_at: r.revoked_at,
            last_seen_at: r.last_seen_at,
            last_pull_at: r.last_pull_at,
            last_push_at: r.last_push_at,
            pulled_cursor: r.pulled_cursor,
            outbox_depth: r.outbox_depth,
            oldest_unsent_at: r.oldest_unsent_at,
            quarantined: r.quarantined,
        })
    }
}
