//! Enrolled edge boxes and the health they report with every pull and push.

use chrono::{DateTime, Utc};
use gasq_shared::{DeviceId, StationId};
use uuid::Uuid;

use crate::domain::AuditEntry;
use crate::store::db::{Db, Query, query};
use crate::store::{StoreError, StoreResult, audit};

/// An edge box to enroll.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub id: DeviceId,
    pub public_key: [u8; 32],
    pub hostname: Option<String>,
    pub version: Option<String>,
    pub attendant_secret_enc: Vec<u8>,
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
    /// When the edge took this snapshot (its clock). A report older than the one
    /// stored — a held pull that started before a push — changes nothing.
    pub at: Option<DateTime<Utc>>,
}

/// The health columns as an `UPDATE … SET` list, from the parameters `$d` (depth), `$d+1`
/// (oldest unsent), `$d+2` (quarantined) and `$d+3` (when it was taken): each set only
/// when the report is not older than the stored one.
fn health_columns(d: usize) -> String {
    let (oldest, quarantined, at) = (d + 1, d + 2, d + 3);
    let fresh = format!("(${at} IS NULL OR health_at IS NULL OR health_at <= ${at})");
    format!(
        "outbox_depth = CASE WHEN {fresh} THEN COALESCE(${d}, outbox_depth) ELSE outbox_depth END, \
         oldest_unsent_at = CASE WHEN {fresh} THEN ${oldest} ELSE oldest_unsent_at END, \
         quarantined = CASE WHEN {fresh} THEN COALESCE(${quarantined}, quarantined) ELSE quarantined END, \
         health_at = CASE WHEN {fresh} THEN COALESCE(${at}, health_at) ELSE health_at END"
    )
}

pub(super) async fn device(db: &Db, id: DeviceId) -> StoreResult<Option<Device>> {
    let q = query("SELECT * FROM devices WHERE id = $1").bind(id);
    let row: Option<DeviceRow> = db.fetch_optional(q).await?;
    row.map(TryInto::try_into).transpose()
}

pub(super) async fn of_station(db: &Db, station: StationId) -> StoreResult<Vec<Device>> {
    let q = query("SELECT * FROM devices WHERE station_id = $1 ORDER BY enrolled_at").bind(station);
    let rows: Vec<DeviceRow> = db.fetch_all(q).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub(super) async fn attendant_secret_enc(db: &Db, id: DeviceId) -> StoreResult<Option<Vec<u8>>> {
    let q = query("SELECT attendant_secret_enc FROM devices WHERE id = $1").bind(id);
    let row: Option<(Vec<u8>,)> = db.fetch_optional(q).await?;
    Ok(row.map(|(secret,)| secret))
}

pub(super) async fn record_pull(
    db: &Db,
    device: DeviceId,
    now: DateTime<Utc>,
    cursor: i64,
    h: DeviceHealth,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE devices SET last_seen_at = $2, last_pull_at = $2, pulled_cursor = $3, {} \
         WHERE id = $1",
        health_columns(4)
    );
    let q = Query::assembled(sql)
        .bind(device)
        .bind(now)
        .bind(cursor)
        .bind(h.outbox_depth)
        .bind(h.oldest_unsent_at)
        .bind(h.quarantined)
        .bind(h.at);
    db.execute(q).await?;
    Ok(())
}

pub(super) async fn record_push(
    db: &Db,
    device: DeviceId,
    now: DateTime<Utc>,
    h: DeviceHealth,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE devices SET last_seen_at = $2, last_push_at = $2, {} WHERE id = $1",
        health_columns(3)
    );
    let q = Query::assembled(sql)
        .bind(device)
        .bind(now)
        .bind(h.outbox_depth)
        .bind(h.oldest_unsent_at)
        .bind(h.quarantined)
        .bind(h.at);
    db.execute(q).await?;
    Ok(())
}

/// Revokes `device` of `station` at `now` with its audit entry; `false` if it was
/// revoked already. The station's held pulls wake, so the box's own ends at once.
pub(super) async fn revoke(
    db: &Db,
    (device, station): (DeviceId, StationId),
    now: DateTime<Utc>,
    entry: AuditEntry,
) -> StoreResult<bool> {
    let mut tx = db.begin().await?;
    let q = query("UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(device)
        .bind(now);
    if tx.execute(q).await? == 0 {
        return Ok(false);
    }
    audit::append(&mut tx, &entry).await?;
    tx.station_changed(station).await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
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

impl TryFrom<DeviceRow> for Device {
    type Error = StoreError;
    fn try_from(r: DeviceRow) -> Result<Self, StoreError> {
        Ok(Device {
            id: r.id.into(),
            station_id: StationId::try_from(r.station_id).map_err(StoreError::corrupt)?,
            public_key: r
                .public_key
                .try_into()
                .map_err(|_| StoreError::corrupt("device key length"))?,
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
