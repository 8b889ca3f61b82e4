//! One-time enrollment codes and enrolling an edge box with one. A code works once,
//! until it expires, and is burned after too many wrong secrets.

use chrono::{DateTime, Utc};
use gasq_shared::{StationId, UserId};
use subtle::ConstantTimeEq;

use super::devices::NewDevice;
use crate::domain::AuditEntry;
use crate::store::db::{Db, Lock, Tx, query};
use crate::store::{StoreError, StoreResult, audit};

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

/// What presenting an enrollment code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollOutcome {
    Enrolled(StationId),
    /// No such code, or a wrong secret: deliberately one answer, so that guessing
    /// cannot find out which code ids exist.
    Refused,
    /// The rest only for the right secret (the whole code).
    Expired,
    Used,
    /// Too many wrong tries: the code no longer works.
    Burned,
}

pub(super) async fn create_code(
    db: &Db,
    c: NewEnrollmentCode,
    entry: AuditEntry,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        query(
            "INSERT INTO enrollment_codes (id, secret_hash, station_id, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id)
        .bind(c.secret_hash)
        .bind(c.station_id)
        .bind(c.created_by)
        .bind(c.created_at)
        .bind(c.expires_at),
    )
    .await
    .map_err(|e| e.conflict_if_taken("enrollment code id collision; try again"))?;
    audit::append(&mut tx, &entry).await?;
    tx.commit().await
}

/// A stored code, locked for the enrollment's transaction.
#[derive(sqlx::FromRow)]
struct CodeRow {
    secret_hash: Vec<u8>,
    station_id: i64,
    expires_at: DateTime<Utc>,
    failed_attempts: i32,
    used_at: Option<DateTime<Utc>>,
}

/// IMPORTANT: nothing tells an unknown code id from a known one with a wrong secret —
/// not the outcome, not the work done. The secret is compared first, in constant time,
/// against the stored hash or a stand-in; both paths run the same counting `UPDATE`
/// (which changes nothing for an unknown id) and append the same audit entry, so both
/// commit a write (a refusal that wrote nothing would answer measurably sooner than one
/// that waited for a durable commit). Only a caller holding the whole code learns that
/// it expired, was used or was burned.
pub(super) async fn enroll(
    db: &Db,
    code_id: &str,
    secret_hash: &[u8],
    device: NewDevice,
    now: DateTime<Utc>,
    max_attempts: u32,
) -> StoreResult<EnrollOutcome> {
    let mut tx = db.begin().await?;
    let sql = tx.locked(
        "SELECT secret_hash, station_id, expires_at, failed_attempts, used_at \
         FROM enrollment_codes WHERE id = $1",
        Lock::Update,
    );
    let code = tx.fetch_optional::<CodeRow>(sql.bind(code_id)).await?;
    let stored = code
        .as_ref()
        .map_or(UNKNOWN_CODE_HASH.as_slice(), |c| &c.secret_hash);
    let secret_ok = bool::from(stored.ct_eq(secret_hash)) && code.is_some();
    let Some(code) = code.filter(|_| secret_ok) else {
        tx.execute(
            query(
                "UPDATE enrollment_codes SET failed_attempts = failed_attempts + 1 WHERE id = $1",
            )
            .bind(code_id),
        )
        .await?;
        let entry = AuditEntry {
            action: "edge.enroll_refused".into(),
            target: format!("enrollment_code:{code_id}"),
            ..AuditEntry::default()
        };
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        return Ok(EnrollOutcome::Refused);
    };
    let failed = u32::try_from(code.failed_attempts).unwrap_or(u32::MAX);
    let outcome = if code.used_at.is_some() {
        EnrollOutcome::Used
    } else if failed >= max_attempts {
        EnrollOutcome::Burned
    } else if code.expires_at <= now {
        EnrollOutcome::Expired
    } else {
        let station = StationId::try_from(code.station_id).map_err(StoreError::corrupt)?;
        use_code(&mut tx, code_id, station, &device, now).await?;
        EnrollOutcome::Enrolled(station)
    };
    tx.commit().await?;
    Ok(outcome)
}

/// What an unknown code's secret is compared with: the same length as a stored hash
/// (SHA-256), matching no secret's hash in practice.
const UNKNOWN_CODE_HASH: [u8; 32] = [0; 32];

/// Marks the code used by `device` and stores the device, audited.
async fn use_code(
    tx: &mut Tx,
    code_id: &str,
    station: StationId,
    d: &NewDevice,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        query("UPDATE enrollment_codes SET used_at = $2, device_id = $3 WHERE id = $1")
            .bind(code_id)
            .bind(now)
            .bind(d.id),
    )
    .await?;
    tx.execute(
        query(
            "INSERT INTO devices (id, station_id, public_key, hostname, version, attendant_secret_enc, enrolled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(d.id)
        .bind(station)
        .bind(d.public_key.as_slice())
        .bind(d.hostname.clone())
        .bind(d.version.clone())
        .bind(&d.attendant_secret_enc)
        .bind(now),
    )
    .await?;
    let entry = AuditEntry {
        action: "edge.enroll".into(),
        target: format!("device:{}", d.id),
        detail: serde_json::json!({ "station_id": station, "code": code_id, "hostname": d.hostname }),
        ..AuditEntry::default()
    };
    audit::append(tx, &entry).await
}
