//! How the station box is doing, in one report: `GET /status`, `gasq-edge status`, and
//! (in short) the retained `edge/status` topic.
//!
//! Contract fields (docs/architecture.md "Programs and configuration"): `station`,
//! `online_to_cloud`, `last_pull_at` (with `last_sync_at`, its older name),
//! `last_push_at`, `outbox_depth`, `quarantined`, `lanes`. Added: the age of
//! the oldest unsent event, the clock skew, the last sync error, counters and where the
//! agent listens (`mqtt`, `http`), so a technician sees why, not only that.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gasq_shared::topics::{EdgeStatus, LaneState, Topic};
use gasq_shared::{DeviceId, StationId};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::bus::Bus;
use crate::db::DbError;
use crate::metrics::CountersSnapshot;
use crate::outbox;
use crate::state::AgentState;

/// How often the retained `edge/status` is refreshed even without a sync attempt.
const REFRESH: Duration = Duration::from_secs(5);

/// The JSON of `GET /status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The station code, e.g. `MUM-0042`.
    pub station: String,
    pub station_id: StationId,
    pub station_name: String,
    pub device_id: DeviceId,
    pub version: String,
    pub online_to_cloud: bool,
    /// The last successful pull: staleness is measured from it.
    #[serde(default)]
    pub last_pull_at: Option<DateTime<Utc>>,
    /// The last batch the cloud acknowledged.
    #[serde(default)]
    pub last_push_at: Option<DateTime<Utc>>,
    /// The same as `last_pull_at` (its name before pushes and pulls were told apart).
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_sync_error: Option<String>,
    /// Cloud clock minus this box's, at the last pull.
    pub clock_skew_ms: Option<i64>,
    pub outbox_depth: u64,
    pub oldest_unsent_at: Option<DateTime<Utc>>,
    pub oldest_unsent_age_secs: Option<i64>,
    /// Events the cloud refused for good (see doctor).
    pub quarantined: u64,
    pub lanes: Vec<LaneState>,
    /// Where devices reach the station bus (`mqtt://HOST:PORT`, the port actually bound).
    pub mqtt: String,
    /// Where the attendant API listens (the port actually bound; when the agent is not
    /// running, the configured address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<SocketAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters: Option<CountersSnapshot>,
    /// Whether the agent hears the lanes (its station-bus link is up); `null` when the
    /// agent is not running.
    #[serde(default)]
    pub bus_link_up: Option<bool>,
    /// What is unsafe about the station-bus setup (e.g. `allow_anonymous`), that the
    /// agent cannot hear the lanes, or that the box's clock is not believed.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The time tokens are judged by, and which clock it came from; `null` when the
    /// agent is not running.
    #[serde(default)]
    pub clock: Option<crate::clock::Reading>,
}

/// Builds the report from the running agent.
pub async fn report(state: &AgentState) -> Result<StatusReport, DbError> {
    let stats = state.recorder.db().call(|c| outbox::stats(c)).await?;
    let sync = state.sync.state();
    let config = state.station.config();
    let now = Utc::now();
    Ok(StatusReport {
        station: config.code.to_string(),
        station_id: config.station_id,
        station_name: config.name.clone(),
        device_id: state.device_id,
        version: env!("CARGO_PKG_VERSION").into(),
        online_to_cloud: state.sync.online(),
        last_pull_at: sync.last_pull_at,
        last_push_at: sync.last_push_at,
        last_sync_at: sync.last_pull_at,
        last_sync_error: sync.last_error,
        clock_skew_ms: sync.clock_skew_ms,
        outbox_depth: stats.depth,
        oldest_unsent_at: stats.oldest_unsent_at,
        oldest_unsent_age_secs: stats.oldest_unsent_at.map(|t| (now - t).num_seconds()),
        quarantined: stats.quarantined,
        lanes: state.queue.snapshot().lanes,
        mqtt: state.listening.bus.url(),
        http: Some(state.listening.http),
        counters: Some(state.counters.snapshot()),
        bus_link_up: Some(state.bus_link.is_up()),
        warnings: live_warnings(state),
        clock: Some(state.clock.now()),
    })
}

/// The station-bus warnings as things stand now.
fn live_warnings(state: &AgentState) -> Vec<String> {
    let mut out = crate::busclients::warnings(state.anonymous, state.lanes.devices.len(), false);
    out.extend(state.clock.warning());
    if !state.bus_link.is_up() {
        out.push("the agent cannot hear the lanes: its station-bus link is down".into());
    }
    out
}

/// The short form for the retained topic.
pub fn edge_status(report: &StatusReport) -> EdgeStatus {
    EdgeStatus {
        online_to_cloud: report.online_to_cloud,
        last_sync_at: report.last_pull_at,
        last_pull_at: report.last_pull_at,
        last_push_at: report.last_push_at,
        outbox_depth: Some(report.outbox_depth),
        version: report.version.clone(),
        agent_online: true,
        oldest_unsent_at: report.oldest_unsent_at,
        quarantined: Some(report.quarantined),
    }
}

/// What the retained topic says when the agent is gone: its goodbye on a clean
/// shutdown (with the last report it published), or its last will (`None`). The will
/// is handed to the broker at connect time, so it cannot know how things stand when
/// the agent dies: outbox and last sync are `null` (unknown) rather than a reassuring
/// `0` — a display shows "unknown", a technician runs `gasq-edge status`.
pub fn offline_status(last: Option<&StatusReport>) -> EdgeStatus {
    EdgeStatus {
        online_to_cloud: false,
        last_sync_at: last.and_then(|r| r.last_pull_at),
        last_pull_at: last.and_then(|r| r.last_pull_at),
        last_push_at: last.and_then(|r| r.last_push_at),
        outbox_depth: last.map(|r| r.outbox_depth),
        version: env!("CARGO_PKG_VERSION").into(),
        agent_online: false,
        oldest_unsent_at: last.and_then(|r| r.oldest_unsent_at),
        quarantined: last.map(|r| r.quarantined),
    }
}

/// Keeps the retained `edge/status` current until `stop`; then says goodbye.
pub async fn publish_loop(state: Arc<AgentState>, bus: Bus, topic: Topic, stop: CancellationToken) {
    let mut last: Option<StatusReport> = None;
    let mut tick = tokio::time::interval(REFRESH);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.sync.attempted.notified() => {}
            _ = stop.cancelled() => {
                bus.publish_json(&topic, &offline_status(last.as_ref()), true);
                return;
            }
        }
        match report(&state).await {
            Ok(report) => {
                bus.publish_json(&topic, &edge_status(&report), true);
                last = Some(report);
            }
            Err(e) => tracing::error!(error = %e, "cannot build the edge status"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_will_says_unknown_instead_of_an_empty_outbox() {
        let will = serde_json::to_value(offline_status(None)).unwrap();
        // The contract fields are all there, but nothing is made up.
        for field in ["online_to_cloud", "last_sync_at", "outbox_depth", "version"] {
            assert!(will.get(field).is_some(), "missing {field}: {will}");
        }
        assert_eq!(will["agent_online"], false);
        assert!(will["outbox_depth"].is_null(), "{will}");
        assert!(will["last_sync_at"].is_null(), "{will}");
        assert!(will["quarantined"].is_null(), "{will}");
    }
}
