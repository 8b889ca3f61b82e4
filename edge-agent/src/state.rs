//! [`AgentState`]: what the running agent's components share — the station, the durable
//! recorder, the queue, the validator, the sync handle, counters, the attendant
//! credential and the lane workers' context. It sits below everything that reads it
//! (`status`, `attendant`, `agent`), so no module above has to import another sideways.

use std::net::SocketAddr;
use std::sync::Arc;

use gasq_shared::DeviceId;

use crate::attendant_secret::AttendantAuth;
use crate::bus::LinkHealth;
use crate::clock::TrustedClock;
use crate::lanes::LaneContext;
use crate::metrics::Counters;
use crate::queue::QueueService;
use crate::recorder::Recorder;
use crate::station::Station;
use crate::sync::SyncHandle;
use crate::validator::Validator;

/// What every component shares.
#[derive(Debug)]
pub struct AgentState {
    pub station: Arc<Station>,
    pub device_id: DeviceId,
    pub recorder: Recorder,
    pub queue: QueueService,
    pub validator: Validator,
    pub sync: SyncHandle,
    pub counters: Arc<Counters>,
    pub attendant: Arc<AttendantAuth>,
    pub lanes: Arc<LaneContext>,
    /// Where the agent listens and devices reach the station bus (for status).
    pub listening: Listening,
    /// Whether the agent hears the lanes (`/healthz` fails while it does not).
    pub bus_link: LinkHealth,
    /// `allow_anonymous` is set: warned about in `/status`.
    pub anonymous: bool,
    /// The time tokens are judged by (shown in `/status`).
    pub clock: Arc<TrustedClock>,
    /// Unknown codes typed per client address: a device that keeps guessing lane codes
    /// waits longer and longer (others are not affected).
    pub code_guesses: std::sync::Mutex<crate::attendant_secret::Lockouts>,
}

/// Where a started agent listens: the addresses actually bound (the real ports when
/// port 0 was asked for), printed for operators and tests and shown in `/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    /// The attendant HTTP API.
    pub http: SocketAddr,
    /// Where devices reach the station bus.
    pub bus: BusAddress,
}

/// Where devices reach the station bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusAddress {
    /// The embedded broker, listening here.
    Embedded(SocketAddr),
    /// An external broker (`mqtt_url`), as `host:port`.
    External(String),
}

impl BusAddress {
    /// The broker as a URL, marked when it is not the embedded one (for status).
    pub fn url(&self) -> String {
        match self {
            Self::Embedded(addr) => format!("mqtt://{addr}"),
            Self::External(host_port) => format!("mqtt://{host_port} (external)"),
        }
    }
}

impl std::fmt::Display for BusAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url())
    }
}
