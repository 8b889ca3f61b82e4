//! Ingesting what edges recorded (invariant 3, docs/architecture.md): each event is
//! inserted under its edge-made id, so a retried batch counts once; a new event's
//! effects (`effects.rs`) are applied in the same transaction.
//!
//! IMPORTANT: lock order. Effects are applied in phases — booking rows, then lane and
//! slot rows and the station row, then the audit log — the order every other writer
//! keeps, so ingestion never deadlocks with bookings or cancellations.

mod effects;

use chrono::{DateTime, Duration, Utc};
use gasq_shared::sync::{EdgeEvent, EdgeEventKind};
use gasq_shared::{DeviceId, EventId, StationId};

use effects::Effect;

use super::db::{Db, Tx, query};
use super::{StoreError, StoreResult, audit};
use crate::domain::AuditEntry;

/// An event as received: its time bounded by the cloud's clock (`at`), and the time
/// the edge claimed when that was too far ahead (`edge_at`, which flags it).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedEvent {
    pub event: EdgeEvent,
    pub edge_at: Option<DateTime<Utc>>,
}

impl ReceivedEvent {
    /// `event` received at `received`: dated more than `leeway` after that, it is
    /// stored at `received` and flagged — one box with its clock a year ahead must not
    /// order lane state for a year (a fault dated then would beat every later `ok`).
    pub fn bounded(mut event: EdgeEvent, received: DateTime<Utc>, leeway: Duration) -> Self {
        let edge_at = (event.at > received + leeway).then_some(event.at);
        if edge_at.is_some() {
            event.at = received;
        }
        Self { event, edge_at }
    }
}

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
    events: Vec<ReceivedEvent>,
    now: DateTime<Utc>,
) -> StoreResult<IngestResult> {
    let mut tx = db.begin().await?;
    let mut result = IngestResult::default();
    let (mut fresh, mut ahead) = (Vec::new(), Vec::new());
    for received in events {
        result.acked.push(received.event.id);
        if record(&mut tx, station, device, &received, now).await? {
            ahead.extend(received.edge_at.map(|t| (received.event.id, t)));
            fresh.push(received.event);
        }
    }
    result.new = fresh.len();
    let effects: Vec<Effect> = fresh.into_iter().filter_map(Effect::of).collect();
    let mut audits = effects::apply_to_bookings(&mut tx, station, &effects, now).await?;
    audits.extend(effects::apply_to_lanes(&mut tx, station, &effects, now).await?);
    audits.extend(clock_ahead(station, &ahead));
    for mut entry in audits {
        entry.detail["device"] = serde_json::json!(device);
        audit::append(&mut tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(result)
}

/// One audit entry for the events of a batch the edge dated ahead of the cloud's clock:
/// the station's box needs its clock fixed (NTP).
fn clock_ahead(station: StationId, ahead: &[(EventId, DateTime<Utc>)]) -> Option<AuditEntry> {
    let furthest = ahead.iter().map(|(_, t)| *t).max()?;
    Some(AuditEntry {
        action: "edge.clock_ahead".into(),
        target: format!("station:{station}"),
        detail: serde_json::json!({
            "events": ahead.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            "furthest_edge_at": furthest,
            "stored_at": "the time the cloud received them",
        }),
        ..AuditEntry::default()
    })
}

/// Stores an event unless it was stored before; returns whether it is new (seen
/// before, its effects were applied then).
async fn record(
    tx: &mut Tx,
    station: StationId,
    device: DeviceId,
    received: &ReceivedEvent,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let event = &received.event;
    let body = serde_json::to_string(&event.kind).map_err(StoreError::corrupt)?;
    let inserted = tx
        .execute(
            query(
                "INSERT INTO edge_events (id, station_id, device_id, edge_seq, at, kind, body, received_at, edge_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
            )
            .bind(event.id)
            .bind(station)
            .bind(device)
            .bind(event.seq)
            .bind(event.at)
            .bind(kind_name(&event.kind))
            .bind(body)
            .bind(now)
            .bind(received.edge_at),
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
