//! The agent's connection to the station bus: messages in (lane scans, frames,
//! dispenser events) and out (verdicts, the retained queue and edge status).
//!
//! Two transports share this interface: the in-process link to the embedded rumqttd
//! broker ([`local`]) and an MQTT client to an external broker ([`remote`]). Either
//! way exactly one task owns the connection; everyone else holds a [`Bus`] and
//! publishes through a bounded channel that never blocks a lane.

pub mod local;
pub mod remote;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use gasq_shared::StationCode;
use gasq_shared::topics::{LaneChannel, Topic};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::metrics::Counters;

/// How many outgoing messages may wait for the transport before new ones are dropped.
const OUTGOING_CAPACITY: usize = 4096;
/// How many incoming messages may wait for the dispatcher.
pub const INCOMING_CAPACITY: usize = 1024;

/// A message that arrived on the bus.
#[derive(Debug, Clone)]
pub struct Message {
    pub topic: String,
    pub payload: Bytes,
}

/// What the publishing side of a transport is asked to do.
#[derive(Debug)]
pub enum Outgoing {
    Publish {
        topic: String,
        payload: Bytes,
        retain: bool,
    },
    /// Send what is queued, then disconnect cleanly.
    Close,
}

/// The publishing handle. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Bus {
    out: mpsc::Sender<Outgoing>,
    counters: Arc<Counters>,
}

impl Bus {
    /// Queues a publish. Never waits: if the transport is this far behind, the message
    /// is dropped and counted (a stuck broker must not stall lane validation).
    pub fn publish(&self, topic: String, payload: Bytes, retain: bool) {
        let msg = Outgoing::Publish {
            topic,
            payload,
            retain,
        };
        if self.out.try_send(msg).is_err() {
            Counters::bump(&self.counters.dropped);
            tracing::warn!("station bus is not keeping up; a message was dropped");
        }
    }

    /// Publishes `value` as JSON.
    pub fn publish_json<T: Serialize>(&self, topic: &Topic, value: &T, retain: bool) {
        match serde_json::to_vec(value) {
            Ok(json) => self.publish(topic.to_string(), Bytes::from(json), retain),
            Err(e) => tracing::error!(%topic, error = %e, "cannot serialise a bus message"),
        }
    }

    /// Asks the transport to flush and disconnect.
    pub async fn close(&self) {
        let _ = self.out.send(Outgoing::Close).await;
    }
}

/// A connected transport: the publishing handle, the incoming messages, whether the
/// lanes can be heard, and the tasks or threads that own the connection (finished after
/// [`Bus::close`]).
#[derive(Debug)]
pub struct BusIo {
    pub bus: Bus,
    pub incoming: mpsc::Receiver<Message>,
    pub publisher: JoinHandle<()>,
    pub health: LinkHealth,
}

/// Whether the agent's link to the station bus is up and subscribed, i.e. whether it
/// can hear the lanes (`/healthz` fails while it cannot). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct LinkHealth(Arc<AtomicBool>);

impl LinkHealth {
    pub fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }

    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Makes the outgoing channel for a transport.
fn outgoing(counters: Arc<Counters>) -> (Bus, mpsc::Receiver<Outgoing>) {
    let (out, rx) = mpsc::channel(OUTGOING_CAPACITY);
    (Bus { out, counters }, rx)
}

/// The topic filters the agent listens to.
pub fn subscriptions(station: &StationCode) -> Vec<String> {
    [
        LaneChannel::Scan,
        LaneChannel::Frame,
        LaneChannel::Dispenser,
    ]
    .into_iter()
    .map(|channel| Topic::all_lanes(station, channel))
    .collect()
}
