//! What a station's dashboard reads: lane states, the day's numbers, the latest queue
//! sample and open reconciliation cases.

use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId};
use uuid::Uuid;

use crate::domain::BookingStatus;
use crate::store::db::{Db, query};
use crate::store::{StoreError, StoreResult};

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
    pub id: Uuid,
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

pub(super) async fn lanes(db: &Db, station: StationId) -> StoreResult<Vec<LaneState>> {
    let q = query(
        "SELECT lane, up, detail, since FROM station_lanes WHERE station_id = $1 ORDER BY lane",
    )
    .bind(station);
    let rows: Vec<(i32, bool, Option<String>, DateTime<Utc>)> = db.fetch_all(q).await?;
    rows.into_iter()
        .map(|(lane, up, detail, since)| {
            Ok(LaneState {
                lane: u16::try_from(lane).map_err(|_| StoreError::corrupt("lane"))?,
                up,
                detail,
                since,
            })
        })
        .collect()
}

pub(super) async fn day_counts(
    db: &Db,
    station: StationId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<DayCounts> {
    let statuses: Vec<(String, i64)> = db
        .fetch_all(
            query(
                "SELECT status, COUNT(*) FROM bookings WHERE station_id = $1 \
                 AND slot_start >= $2 AND slot_start < $3 GROUP BY status",
            )
            .bind(station)
            .bind(from)
            .bind(to),
        )
        .await?;
    let (fills, centikg): (i64, Option<i64>) = db
        .fetch_one(
            query(
                "SELECT COUNT(*), SUM(filled_centikg) FROM bookings WHERE station_id = $1 \
                 AND completed_at >= $2 AND completed_at < $3",
            )
            .bind(station)
            .bind(from)
            .bind(to),
        )
        .await?;
    Ok(DayCounts {
        by_status: statuses
            .into_iter()
            .filter_map(|(s, n)| BookingStatus::parse(&s).map(|st| (st, n)))
            .collect(),
        fills,
        filled_kg: centikg.unwrap_or(0) as f64 / 100.0,
        rejected_scans: count_kind(db, station, "rejected", from, to).await?,
        walkins: count_kind(db, station, "walkin", from, to).await?,
    })
}

/// Events of one kind the station's edges recorded in `[from, to)`.
async fn count_kind(
    db: &Db,
    station: StationId,
    kind: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<i64> {
    let (n,): (i64,) = db
        .fetch_one(
            query(
                "SELECT COUNT(*) FROM edge_events WHERE station_id = $1 AND kind = $2 \
                 AND at >= $3 AND at < $4",
            )
            .bind(station)
            .bind(kind)
            .bind(from)
            .bind(to),
        )
        .await?;
    Ok(n)
}

pub(super) async fn latest_queue(db: &Db, station: StationId) -> StoreResult<Option<QueueSample>> {
    let q = query(
        "SELECT body, at FROM edge_events WHERE station_id = $1 AND kind = 'queue' \
         ORDER BY at DESC LIMIT 1",
    )
    .bind(station);
    let row: Option<(String, DateTime<Utc>)> = db.fetch_optional(q).await?;
    Ok(row.and_then(|(body, at)| {
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        Some(QueueSample {
            waiting: v["waiting"].as_i64()?,
            lanes_up: v["lanes_up"].as_i64()?,
            at,
        })
    }))
}

pub(super) async fn open_cases(
    db: &Db,
    station: StationId,
) -> StoreResult<Vec<ReconciliationCase>> {
    let q = query(
        "SELECT id, booking_id, kind, detail, created_at FROM reconciliation_cases \
         WHERE station_id = $1 AND resolved_at IS NULL ORDER BY created_at",
    )
    .bind(station);
    let rows: Vec<CaseRow> = db.fetch_all(q).await?;
    Ok(rows
        .into_iter()
        .map(|r| ReconciliationCase {
            id: r.id,
            station_id: station,
            booking_id: r.booking_id.map(Into::into),
            kind: r.kind,
            detail: r.detail,
            created_at: r.created_at,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: Uuid,
    booking_id: Option<Uuid>,
    kind: String,
    detail: String,
    created_at: DateTime<Utc>,
}

pub(super) async fn count_events(db: &Db, station: StationId) -> StoreResult<i64> {
    let q = query("SELECT COUNT(*) FROM edge_events WHERE station_id = $1").bind(station);
    let (n,): (i64,) = db.fetch_one(q).await?;
    Ok(n)
}
