//! Ingesting what edges recorded (invariant 3, docs/architecture.md): each event is
//! inserted under its edge-made id, so a retried batch counts once; a new event's
//! effects (`effects.rs`) are applied in the same transaction.
//!
//! IMPORTANT: lock order. Effects are applied in phases — booking rows, then lane and
//! slot rows and the station row, then the audit log — the order every other writer
//! keeps, so ingestion never deadlocks with bookings or cancellations.

mod effects;

use chrono::{DateTime, Utc};
use gasq_shared::sync::{EdgeEvent, EdgeEventKind};
use gasq_shared::{DeviceId, EventId, StationId};

use effects::Effect;

use super::db::{Db, Tx, query};
use super::{StoreError, StoreResult, audit};

/// What ingesting a batch of edge events did, per event id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestResult {
    /// Taken now, or seen before (each counts once).
    pub acked: Vec<EventId>,
    /// How many of `acked` were new.
    pub new: usize,
}

pub(super) async fn ingest(
    db: &Db,
    station: StationId,
    device: DeviceId,
    events: Vec<EdgeEvent>,
    now: DateTime<Utc>,
) -> StoreResult<IngestResult> {
    let mut tx = db.begin().await?;
    let mut result = IngestResult::default();
    let mut fresh = Vec::new();
    for event in events {
        result.acked.push(event.id);
        if record(&mut tx, station, device, &event, now).await? {
            fresh.push(event);
        }
    }
    result.new = fresh.len();
    let effects: Vec<Effect> = fresh.into_iter().filter_map(Effect::of).collect();
    let mut audits = effects::apply_to_bookings(&mut tx, station, &effects, now).await?;
    audits.extend(effects::apply_to_lanes(&mut tx, station, &effects, now).await?);
    for mut entry in audits {
        entry.detail["device"] = serde_json::json!(device);
        audit::append(&mut tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(result)
}

/// Stores `event` unless it was stored before; returns whether it is new (seen before,
/// its effects were applied then).
async fn record(
    tx: &mut Tx,
    station: StationId,
    device: DeviceId,
    event: &EdgeEvent,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let body = serde_json::to_string(&event.kind).map_err(StoreError::corrupt)?;
    let inserted = tx
        .execute(
            query(
                "INSERT INTO edge_events (id, station_id, device_id, edge_seq, at, kind, body, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
            )
            .bind(event.id)
            .bind(station)
            .bind(device)
            .bind(event.seq)
            .bind(event.at)
            .bind(kind_name(&event.kind))
            .bind(body)
            .bind(now),
        )
        .await?;
    Ok(inserted > 0)
}

fn kind_name(kind: &EdgeEventKind) -> &'static str {
    match kind {
        EdgeEventKind::Redeemed { .. } => "redeemed",
        EdgeEventKind::Rejected { .. } => "rejected",
        EdgeEventKind::Fill { .. } => "fill",
        EdgeEventKind::LaneFault { .. } => "lane_fault",
        EdgeEventKind::LaneOk { .. } => "lane_ok",
        EdgeEventKind::Walkin { .. } => "walkin",
        EdgeEventKind::Queue { .. } => "queue",
    }
}
