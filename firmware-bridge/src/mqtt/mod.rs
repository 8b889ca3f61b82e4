//! The station-bus client: publishes scans and dispenser events at QoS 1 through a
//! bounded [`outbox::Outbox`], and hands incoming publishes (verdicts) to the router.
//!
//! Exactly one task owns rumqttc's event loop (`session.rs`) and with it the reconnect
//! policy. Publishing is a plain function call ([`Bus::publish`]) so the serial threads
//! can publish without touching the async runtime.

mod outbox;
mod session;
mod signer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, MqttOptions, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use outbox::{Message, Outbox, OutboxStats, Sink};
pub use signer::EventSigner;

/// Unacknowledged publishes at a time (also rumqttc's inflight limit).
const WINDOW: usize = 32;
/// Incoming publishes waiting for the router before new ones are dropped.
const INCOMING_CAPACITY: usize = 256;
/// The largest packet accepted or sent (scans are at most 4 KiB, verdicts smaller).
const MAX_PACKET: usize = 64 * 1024;

/// How to reach the bus and what to subscribe to. Built from the `[mqtt]` section by
/// [`crate::bus_settings`]; this module knows nothing of the config file.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// The broker's host name or IP address.
    pub host: String,
    pub port: u16,
    pub client_id: String,
    pub credentials: Option<(String, String)>,
    /// Messages kept while the broker is away; beyond this the oldest are dropped.
    pub buffer: usize,
    pub keep_alive: Duration,
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    /// Scans not delivered within this are dropped ([`Bus::publish_scan`]).
    pub scan_ttl: Duration,
    /// Topic filters subscribed at QoS 1 on every (re)connect.
    pub subscriptions: Vec<String>,
    /// The edge's station-bus key: verdicts not signed with it are refused.
    pub verdict_key: Option<ed25519_dalek::VerifyingKey>,
    /// Verdicts older (or further ahead) than this are refused.
    pub verdict_max_age: Duration,
}

impl BusSettings {
    /// `HOST:PORT` for logs (an IPv6 address in brackets).
    pub fn broker(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A publish that arrived from the bus.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub topic: String,
    pub payload: Vec<u8>,
    /// Retained messages are old news (a verdict replayed on subscribe is not a new one).
    pub retain: bool,
}

/// Counters of the bus connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BusStats {
    pub outbox: OutboxStats,
    pub connected: bool,
    /// The subscriptions of the current connection are acknowledged.
    pub subscribed: bool,
    /// Successful connections after the first.
    pub reconnects: u64,
    /// Incoming publishes dropped because the router was behind.
    pub incoming_dropped: u64,
}

struct Shared {
    outbox: Mutex<Outbox>,
    client: ClientSink,
    connects: AtomicU64,
    incoming_dropped: AtomicU64,
    /// SUBACKs still expected on this connection.
    subacks_due: AtomicU64,
    scan_ttl: Duration,
}

impl Shared {
    fn outbox(&self) -> MutexGuard<'_, Outbox> {
        // A panic elsewhere while holding the lock leaves consistent data; keep going.
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// rumqttc, signing dispenser events on their way in (see [`EventSigner`]).
struct ClientSink(AsyncClient, Option<EventSigner>);

impl Sink for ClientSink {
    fn offer(&self, m: &Message) -> bool {
        let signed = match &self.1 {
            Some(signer) if m.topic.ends_with("/dispenser") => signer.sign(&m.topic, &m.payload),
            _ => None,
        };
        let payload = signed.unwrap_or_else(|| m.payload.clone());
        self.0
            .try_publish(m.topic.clone(), QoS::AtLeastOnce, false, payload)
            .is_ok()
    }
}

/// A handle for publishing; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct Bus {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("stats", &self.stats()).finish()
    }
}

impl Bus {
    /// Queues a QoS 1 publish; never blocks, never fails (when the buffer is full the
    /// oldest message is dropped and counted).
    pub fn publish(&self, topic: impl Into<String>, payload: impl Into<Vec<u8>>) {
        self.push(topic.into(), payload.into(), None);
    }

    /// Like [`publish`](Self::publish), for a scan: if the broker is away longer than
    /// `[mqtt] scan_ttl`, the scan is dropped (and counted) rather than delivered late.
    pub fn publish_scan(&self, topic: impl Into<String>, payload: impl Into<Vec<u8>>) {
        let expires = Instant::now() + self.shared.scan_ttl;
        self.push(topic.into(), payload.into(), Some(expires));
    }

    fn push(&self, topic: String, payload: Vec<u8>, expires: Option<Instant>) {
        let message = Message {
            topic,
            payload,
            expires,
        };
        let shared = &self.shared;
        shared.outbox().push(message, &shared.client);
    }

    pub fn stats(&self) -> BusStats {
        let outbox = self.shared.outbox();
        BusStats {
            outbox: outbox.stats(),
            connected: outbox.is_connected(),
            subscribed: outbox.is_connected()
                && self.shared.subacks_due.load(Ordering::Relaxed) == 0,
            reconnects: self
                .shared
                .connects
                .load(Ordering::Relaxed)
                .saturating_sub(1),
            incoming_dropped: self.shared.incoming_dropped.load(Ordering::Relaxed),
        }
    }
}

/// Starts the event-loop task. It runs until `shutdown`, then flushes what it can for
/// up to two seconds and, still connected, sends MQTT DISCONNECT before closing.
pub fn start(
    settings: BusSettings,
    shutdown: CancellationToken,
) -> (Bus, mpsc::Receiver<Incoming>, JoinHandle<()>) {
    let mut options = MqttOptions::new(
        settings.client_id.clone(),
        settings.host.clone(),
        settings.port,
    );
    options
        .set_keep_alive(settings.keep_alive)
        .set_clean_session(true)
        .set_inflight(WINDOW as u16)
        .set_max_packet_size(MAX_PACKET, MAX_PACKET);
    if let Some((user, password)) = &settings.credentials {
        options.set_credentials(user.clone(), password.clone());
    }
    let (client, mut eventloop) = AsyncClient::new(options, WINDOW * 2 + 16);
    let mut network = rumqttc::NetworkOptions::new();
    // IMPORTANT: rumqttc leaves Nagle on; with it every QoS 1 round trip costs ~40 ms.
    network.set_tcp_nodelay(true);
    network.set_connection_timeout(5);
    eventloop.set_network_options(network);

    let shared = Arc::new(Shared {
        outbox: Mutex::new(Outbox::new(settings.buffer, WINDOW)),
        client: ClientSink(
            client,
            settings
                .credentials
                .as_ref()
                .map(|(user, password)| EventSigner::new(user, password)),
        ),
        connects: AtomicU64::new(0),
        incoming_dropped: AtomicU64::new(0),
        subacks_due: AtomicU64::new(0),
        scan_ttl: settings.scan_ttl,
    });
    let (tx, rx) = mpsc::channel(INCOMING_CAPACITY);
    let task = tokio::spawn(session::own_event_loop(
        eventloop,
        Arc::clone(&shared),
        settings,
        tx,
        shutdown,
    ));
    (Bus { shared }, rx, task)
}
