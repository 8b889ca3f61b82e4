//! Lane traffic: routes every incoming bus message to a worker for its lane, so one
//! lane's slow camera frame or flood of garbage never delays another lane's verdict,
//! while each lane's scans are answered in the order they came.
//!
//! Garbage never crashes or stalls anything (docs/architecture.md, invariant 6): a scan or frame that is not
//! understood gets a `malformed` verdict; a bad dispenser message or a stray topic is
//! logged and counted (`bus_garbage` in `/status`).
//!
//! Frames go to the lane's frame worker ([`frames`]): only the newest waits, and a
//! bounded pool decodes them. Scans and dispenser events over the size a scan may have
//! are cut to nothing before they are queued (answered `malformed`, or refused), so a
//! lane's queue holds at most `LANE_BACKLOG` small messages.
//!
//! Every verdict goes out signed with the station-bus key, and a dispenser event is
//! applied only when a provisioned bridge signed it (invariant 8); others are counted
//! (`dispenser_refused`) and ignored.

pub mod frames;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use gasq_shared::StationCode;
use gasq_shared::topics::{DispenserEvent, LaneChannel, MAX_SCAN_BYTES, Scan, Topic, Verdict};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use crate::bus::{Bus, Message};
use crate::busclients::events;
use crate::busclients::registry::Registry;
use crate::buskey::BusKey;
use crate::db::Db;
use crate::metrics::Counters;
use crate::queue::QueueService;
use crate::redemptions::Via;
use crate::validator::Validator;

/// Messages a lane may have waiting before more are dropped (and counted).
const LANE_BACKLOG: usize = 256;
/// Most lane workers; a device inventing lane numbers cannot make more.
const MAX_LANES: usize = 256;

/// What a lane worker needs.
#[derive(Debug, Clone)]
pub struct LaneContext {
    pub station: StationCode,
    pub validator: Validator,
    pub queue: QueueService,
    pub bus: Bus,
    pub counters: Arc<Counters>,
    /// Signs every verdict.
    pub signer: BusKey,
    /// The provisioned devices, whose keys verify dispenser events.
    pub devices: Registry,
    /// `allow_anonymous`: unsigned dispenser events are taken too (a lab setting).
    pub anonymous: bool,
    /// Where a bridge's newest event session is remembered.
    pub db: Db,
    /// Frame decoders that may run at once (see [`frames::decoders`]).
    pub decoders: Arc<Semaphore>,
}

/// A lane's two workers: its queue of scans and dispenser events, its newest frame.
#[derive(Debug)]
struct Lane {
    tx: mpsc::Sender<(LaneChannel, Bytes)>,
    frames: Arc<frames::FrameSlot>,
}

impl Drop for Lane {
    fn drop(&mut self) {
        self.frames.close();
    }
}

/// Reads the bus until it closes or `stop` fires, handing each message to its lane.
pub async fn dispatch(
    mut incoming: mpsc::Receiver<Message>,
    ctx: Arc<LaneContext>,
    stop: CancellationToken,
) {
    let mut lanes: HashMap<u16, Lane> = HashMap::new();
    loop {
        let msg = tokio::select! {
            msg = incoming.recv() => match msg { Some(m) => m, None => return },
            _ = stop.cancelled() => return,
        };
        let (lane, channel) = match Topic::parse(&msg.topic) {
            Some(Topic::Lane {
                station,
                lane,
                channel,
            }) if station == ctx.station => (lane, channel),
            _ => {
                Counters::bump(&ctx.counters.bus_garbage);
                tracing::warn!(topic = %msg.topic, "ignoring a message on a topic outside the contract");
                continue;
            }
        };
        if !lanes.contains_key(&lane) && lanes.len() >= MAX_LANES {
            Counters::bump(&ctx.counters.bus_garbage);
            tracing::warn!(lane, "ignoring a message for one lane too many");
            continue;
        }
        let worker = lanes
            .entry(lane)
            .or_insert_with(|| spawn_lane(lane, ctx.clone()));
        route(&ctx, worker, lane, channel, msg.payload);
    }
}

/// Hands one message to its lane's workers, shedding what would pile up.
fn route(ctx: &LaneContext, worker: &Lane, lane: u16, channel: LaneChannel, payload: Bytes) {
    if channel == LaneChannel::Frame {
        if worker.frames.offer(payload) {
            Counters::bump(&ctx.counters.frames_shed);
            tracing::debug!(lane, "a newer frame replaced one still waiting");
        }
        return;
    }
    // Nothing but a frame may be bigger than a scan: keep none of it (the worker then
    // answers `malformed` or refuses the event).
    let payload = if payload.len() > MAX_SCAN_BYTES {
        Bytes::new()
    } else {
        payload
    };
    if worker.tx.try_send((channel, payload)).is_err() {
        Counters::bump(&ctx.counters.dropped);
        tracing::warn!(lane, "lane is overwhelmed; a message was dropped");
    }
}

fn spawn_lane(lane: u16, ctx: Arc<LaneContext>) -> Lane {
    let frames = frames::spawn(lane, ctx.clone());
    let (tx, mut rx) = mpsc::channel::<(LaneChannel, Bytes)>(LANE_BACKLOG);
    tokio::spawn(async move {
        while let Some((channel, payload)) = rx.recv().await {
            handle(&ctx, lane, channel, payload).await;
        }
    });
    Lane { tx, frames }
}

async fn handle(ctx: &LaneContext, lane: u16, channel: LaneChannel, payload: Bytes) {
    let verdict = match channel {
        LaneChannel::Scan => scan(ctx, lane, &payload).await,
        LaneChannel::Dispenser => {
            dispenser(ctx, lane, &payload).await;
            return;
        }
        // Frames have their own worker; verdicts are the agent's own.
        LaneChannel::Frame | LaneChannel::Verdict => return,
    };
    match verdict {
        Ok(v) => publish_verdict(ctx, lane, &v),
        Err(e) => {
            Counters::bump(&ctx.counters.internal_errors);
            tracing::error!(lane, error = %e, "no verdict: the database failed");
        }
    }
}

/// Publishes a verdict, signed, on the lane's verdict topic.
pub fn publish_verdict(ctx: &LaneContext, lane: u16, verdict: &Verdict) {
    let topic = Topic::lane(&ctx.station, lane, LaneChannel::Verdict).to_string();
    let signed = serde_json::to_vec(verdict)
        .map_err(|e| e.to_string())
        .and_then(|json| {
            ctx.signer
                .sign_verdict(&topic, &json)
                .map_err(|e| e.to_string())
        });
    match signed {
        Ok(payload) => ctx.bus.publish(topic, Bytes::from(payload), false),
        Err(e) => tracing::error!(%topic, error = %e, "cannot sign a verdict"),
    }
}

async fn scan(ctx: &LaneContext, lane: u16, payload: &[u8]) -> Result<Verdict, crate::db::DbError> {
    match Scan::parse(payload) {
        Ok(scan) => {
            ctx.validator
                .validate_token(&scan.code, Some(lane), scan.id, Via::Scan)
                .await
        }
        Err(e) => {
            tracing::debug!(lane, error = %e, "malformed scan");
            ctx.validator
                .malformed(Some(lane), readable_scan_id(payload))
                .await
        }
    }
}

/// The `id` of a JSON scan that is otherwise unusable (`{"id":"s1","code":5}`), so the
/// device can still match the `malformed` verdict to its scan. Read like
/// [`Scan::parse`] does: a string, or a number as text.
fn readable_scan_id(payload: &[u8]) -> Option<String> {
    if payload.len() > gasq_shared::topics::MAX_SCAN_BYTES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    match value.get("id")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

async fn dispenser(ctx: &LaneContext, lane: u16, payload: &[u8]) {
    let topic = Topic::lane(&ctx.station, lane, LaneChannel::Dispenser).to_string();
    let admitted = match events::admit(&ctx.devices, ctx.anonymous, &topic, payload) {
        Ok(admitted) => admitted,
        Err(why) => {
            Counters::bump(&ctx.counters.dispenser_refused);
            tracing::warn!(lane, %why, "ignoring a dispenser event no provisioned bridge sent");
            return;
        }
    };
    if let (Some(by), Some(boot)) = (admitted.by.clone(), admitted.new_boot) {
        let raised = ctx
            .db
            .call(move |c| crate::busclients::raise_event_boot(c, &by, boot))
            .await;
        if let Err(e) = raised {
            tracing::error!(error = %e, "cannot remember a bridge's event session");
        }
    }
    let mut event = match DispenserEvent::parse(&admitted.json) {
        Ok(event) => event,
        Err(e) => {
            Counters::bump(&ctx.counters.bus_garbage);
            tracing::warn!(lane, error = %e, "ignoring a bad dispenser message");
            return;
        }
    };
    event.detail = event.detail.as_deref().and_then(clean_detail);
    if let Err(e) = ctx.queue.dispenser(lane, event).await {
        Counters::bump(&ctx.counters.bus_garbage);
        tracing::warn!(lane, error = %e, "dispenser event not applied");
    }
}

/// Longest fault description kept (in characters); a dispenser's detail is a hint for
/// the dashboard, not a log.
const MAX_DETAIL_CHARS: usize = 200;

/// A dispenser's free-text `detail` made safe to record: control characters (NUL
/// included) become spaces, whitespace is trimmed, and it is cut to
/// [`MAX_DETAIL_CHARS`]. `None` if nothing readable is left.
// IMPORTANT: the detail travels to the cloud inside an event batch. A NUL there is
// refused by PostgreSQL, and a refused event has to be hunted down and quarantined: a
// device's bad string must never cost the station its event.
fn clean_detail(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned: String = cleaned.trim().chars().take(MAX_DETAIL_CHARS).collect();
    let cleaned = cleaned.trim_end();
    (!cleaned.is_empty()).then(|| cleaned.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detail_loses_control_characters_and_is_cut_short() {
        assert_eq!(
            clean_detail("nozzle\0 leak\r\n").as_deref(),
            Some("nozzle  leak")
        );
        let long = "é".repeat(1000);
        assert_eq!(
            clean_detail(&long).unwrap().chars().count(),
            MAX_DETAIL_CHARS
        );
        assert_eq!(clean_detail("\0\t "), None);
    }

    #[test]
    fn the_id_of_an_unusable_json_scan_is_still_read() {
        assert_eq!(
            readable_scan_id(br#"{"id":"s1","code":5}"#).as_deref(),
            Some("s1")
        );
        assert_eq!(readable_scan_id(br#"{"id":7}"#).as_deref(), Some("7"));
        assert_eq!(readable_scan_id(br#"{"id":[1],"code":5}"#), None);
        assert_eq!(readable_scan_id(b"GQ1:garbage"), None);
    }
}
