//! An edge's push: the events it recorded, checked one by one — events this cloud will
//! never accept are refused by id (the edge quarantines them), the rest ingested once,
//! each at a time no later than the cloud's clock allows (time at ingest).

use chrono::{Duration, Utc};
use gasq_shared::EventId;
use gasq_shared::sync::{
    DEVICE_JWT_LEEWAY_SECS, EdgeEvent, EdgeEventKind, EventsResponse, RejectedEvent,
};

use super::App;
use super::stations::{self, StationError};
use crate::domain::Station;
use crate::store::{Device, DeviceHealth, ReceivedEvent, StoreError};

/// Most events one batch may carry.
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The batch as a whole is not one this cloud reads.
    #[error("{0}")]
    InvalidBatch(String),
    #[error("send at most {MAX_BATCH} events per batch")]
    TooLarge,
    #[error(transparent)]
    Station(#[from] StationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, IngestError>;

/// `device` pushes a batch `{"events": [...]}`, reporting its `health`.
pub async fn push(
    app: &App,
    device: &Device,
    batch: serde_json::Value,
    health: DeviceHealth,
) -> Result<EventsResponse> {
    let station = stations::get(app, device.station_id).await?;
    let (valid, rejected) = parse_events(&station, batch)?;
    let now = Utc::now();
    // Time at ingest: an edge's clock is trusted as far as its device tokens are.
    let leeway = Duration::seconds(DEVICE_JWT_LEEWAY_SECS);
    let received: Vec<_> = valid
        .into_iter()
        .map(|e| ReceivedEvent::bounded(e, now, leeway))
        .collect();
    let ahead = received.iter().filter(|r| r.edge_at.is_some()).count();
    if ahead > 0 {
        tracing::warn!(device = %device.id, events = ahead, "events dated ahead of the cloud's clock: stored at their receive time (the box needs NTP)");
    }
    let result = app
        .store
        .ingest_events(station.id, device.id, received, now)
        .await?;
    if result.new > 0 {
        tracing::info!(device = %device.id, new = result.new, "edge events ingested");
        // A lane fault among them may leave slots holding more than they now can.
        super::moves::settle_overflow(app, station.id).await?;
    }
    app.store.record_push(device.id, Utc::now(), health).await?;
    Ok(EventsResponse {
        acked: result.acked,
        rejected,
    })
}

/// Why this cloud will never accept an event from `station`.
fn check(station: &Station, event: &EdgeEvent) -> std::result::Result<(), String> {
    let lanes = station.policy.lanes;
    // What physically happened (a redemption, a fill) is kept whatever its lane number
    // says — the station may have had more lanes when it was recorded offline. Only lane
    // state changes must name a lane the station has.
    match &event.kind {
        EdgeEventKind::LaneFault { lane, .. } | EdgeEventKind::LaneOk { lane }
            if !(1..=lanes).contains(lane) =>
        {
            Err(format!(
                "lane {lane} does not exist at {} ({lanes} lanes)",
                station.code
            ))
        }
        EdgeEventKind::Fill { kg, .. } if !kg.is_finite() || !(0.0..=1000.0).contains(kg) => {
            Err(format!("fill of {kg} kg is not plausible"))
        }
        EdgeEventKind::Fill {
            amount_paise: Some(a),
            ..
        } if *a < 0 => Err("a fill amount cannot be negative".into()),
        _ => Ok(()),
    }
}

fn invalid_batch() -> IngestError {
    IngestError::InvalidBatch("the body must be {\"events\": [...]}".into())
}

/// Splits a pushed batch into events to ingest and events refused for good (which the
/// edge quarantines). A batch that is not `{"events": [...]}` is refused whole.
pub fn parse_events(
    station: &Station,
    body: serde_json::Value,
) -> Result<(Vec<EdgeEvent>, Vec<RejectedEvent>)> {
    let serde_json::Value::Object(mut map) = body else {
        return Err(invalid_batch());
    };
    let Some(serde_json::Value::Array(items)) = map.remove("events") else {
        return Err(invalid_batch());
    };
    if items.len() > MAX_BATCH {
        return Err(IngestError::TooLarge);
    }
    let (mut valid, mut rejected) = (Vec::new(), Vec::new());
    for item in items {
        let id: Option<EventId> = item
            .get("id")
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        match serde_json::from_value::<EdgeEvent>(item) {
            Ok(event) => match check(station, &event) {
                Ok(()) => valid.push(event),
                Err(reason) => rejected.push(RejectedEvent {
                    id: event.id,
                    reason,
                }),
            },
            Err(e) => match id {
                Some(id) => rejected.push(RejectedEvent {
                    id,
                    reason: format!("not an event this cloud understands: {e}"),
                }),
                None => {
                    return Err(IngestError::InvalidBatch(format!(
                        "an event without a valid id: {e}"
                    )));
                }
            },
        }
    }
    Ok((valid, rejected))
}
