//! An MQTT client (rumqttc) playing the lane scanners, displays and dispensers.
//!
//! The agent refuses anonymous clients, so [`crate::common::edge::Edge::start`]
//! provisions a device (`gasq-edge bus-client add`) and registers its login here for the
//! broker's address: a client connecting with no login given uses it (with a client id
//! bound to its name), and signs what it publishes on dispenser topics as that bridge
//! would (`gasq_shared::bussig`). Brokers with no login registered (Mosquitto) are
//! anonymous.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasq_shared::bussig;

use bytes::Bytes;
use gasq_shared::topics::{LaneChannel, Topic, Verdict};
use rumqttc::{AsyncClient, Event, MqttOptions, NetworkOptions, Outgoing, Packet, QoS};
use tokio::sync::{mpsc, oneshot};

use super::DEADLINE;

/// Logins registered per broker address (see the module docs).
static LOGINS: Mutex<Option<HashMap<SocketAddr, (String, String)>>> = Mutex::new(None);

/// Registers the login clients of the broker at `addr` use by default.
pub fn register_login(addr: SocketAddr, user: &str, password: &str) {
    let mut logins = LOGINS.lock().unwrap();
    logins
        .get_or_insert_with(HashMap::new)
        .insert(addr, (user.to_owned(), password.to_owned()));
}

fn registered_login(addr: SocketAddr) -> Option<(String, String)> {
    LOGINS.lock().unwrap().as_ref()?.get(&addr).cloned()
}

/// Signs dispenser events as a provisioned bridge does.
struct EventSigner {
    by: String,
    key: ed25519_dalek::SigningKey,
    boot: u64,
    seq: AtomicU64,
}

impl EventSigner {
    fn new(user: &str, password: &str) -> Self {
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Self {
            by: user.to_owned(),
            key: bussig::event_key(password),
            boot,
            seq: AtomicU64::new(0),
        }
    }

    /// `payload` signed for `topic`, if it is a dispenser event in a JSON object.
    fn sign(&self, topic: &str, payload: Vec<u8>) -> Vec<u8> {
        if !topic.ends_with("/dispenser") {
            return payload;
        }
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let members = format!(r#""by":"{}","boot":{},"seq":{seq}"#, self.by, self.boot);
        match bussig::add_members(&payload, &members) {
            Ok(json) => bussig::sign(&self.key, bussig::EVENT, topic, &json).unwrap(),
            Err(_) => payload,
        }
    }
}

pub struct BusClient {
    pub client: AsyncClient,
    rx: mpsc::UnboundedReceiver<(String, Bytes)>,
    task: tokio::task::JoinHandle<()>,
    signer: Option<Arc<EventSigner>>,
    /// Times the connection failed after it was up.
    drops: Arc<AtomicU64>,
}

impl Drop for BusClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl BusClient {
    /// Connects and subscribes to `filters`; returns once the broker has confirmed.
    pub async fn connect(
        addr: SocketAddr,
        filters: &[String],
        login: Option<(&str, &str)>,
    ) -> Self {
        Self::try_connect(addr, filters, login)
            .await
            .expect("connects to the station bus")
    }

    /// Like `connect`, but `None` if the broker refuses.
    pub async fn try_connect(
        addr: SocketAddr,
        filters: &[String],
        login: Option<(&str, &str)>,
    ) -> Option<Self> {
        let login = login
            .map(|(u, p)| (u.to_owned(), p.to_owned()))
            .or_else(|| registered_login(addr));
        let user = login.as_ref().map_or("test", |(u, _)| u.as_str());
        let id = format!("{user}-{}", uuid::Uuid::new_v4().simple());
        Self::try_connect_as(addr, filters, &id, login).await
    }

    /// Connects with exactly this client id and login (`None`: anonymous); `None` if the
    /// broker refuses.
    pub async fn try_connect_as(
        addr: SocketAddr,
        filters: &[String],
        id: &str,
        login: Option<(String, String)>,
    ) -> Option<Self> {
        let mut options = MqttOptions::new(id, addr.ip().to_string(), addr.port());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_max_packet_size(32 << 20, 32 << 20);
        let signer = login
            .as_ref()
            .map(|(user, pass)| Arc::new(EventSigner::new(user, pass)));
        if let Some((user, pass)) = login {
            options.set_credentials(user, pass);
        }
        let (client, mut events) = AsyncClient::new(options, 64);
        let mut net = NetworkOptions::new();
        net.set_tcp_nodelay(true);
        events.set_network_options(net);
        for f in filters {
            client.subscribe(f.clone(), QoS::AtLeastOnce).await.unwrap();
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel::<bool>();
        let mut pending_subacks = filters.len();
        let drops = Arc::new(AtomicU64::new(0));
        let dropped = drops.clone();
        let task = tokio::spawn(async move {
            let (mut ready, mut leaving) = (Some(ready_tx), false);
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) if pending_subacks == 0 => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(true);
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        pending_subacks = pending_subacks.saturating_sub(1);
                        if pending_subacks == 0
                            && let Some(r) = ready.take()
                        {
                            let _ = r.send(true);
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send((p.topic, p.payload));
                    }
                    Ok(Event::Outgoing(Outgoing::Disconnect)) => leaving = true,
                    Ok(_) => {}
                    // The broker closes the connection after a DISCONNECT: done.
                    Err(_) if leaving => return,
                    Err(_) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(false);
                            return;
                        }
                        dropped.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
        let ok = tokio::time::timeout(DEADLINE, ready_rx).await.ok()?.ok()?;
        ok.then_some(Self {
            client,
            rx,
            task,
            signer,
            drops,
        })
    }

    /// Publishes at QoS 1; a dispenser event is signed as a provisioned bridge does
    /// (when this client has a login).
    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        let payload = match &self.signer {
            Some(signer) => signer.sign(topic, payload.into()),
            None => payload.into(),
        };
        self.publish_raw(topic, payload).await;
    }

    /// Publishes exactly these bytes (no signing).
    pub async fn publish_raw(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.into())
            .await
            .unwrap();
    }

    /// How often the broker has dropped this client's connection since it was up.
    pub fn drops(&self) -> u64 {
        self.drops.load(Ordering::Relaxed)
    }

    /// Leaves the bus cleanly (MQTT DISCONNECT), as a device that stops does.
    pub async fn disconnect(&mut self) {
        self.client.disconnect().await.unwrap();
        tokio::time::timeout(DEADLINE, &mut self.task)
            .await
            .expect("the broker closes the connection")
            .unwrap();
    }

    /// The next message on any subscribed topic.
    pub async fn next(&mut self) -> (String, Bytes) {
        tokio::time::timeout(DEADLINE, self.rx.recv())
            .await
            .expect("a message within the deadline")
            .expect("the client is running")
    }

    /// The next message if one comes within `wait`.
    pub async fn try_next(&mut self, wait: Duration) -> Option<(String, Bytes)> {
        tokio::time::timeout(wait, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next message on `topic`, skipping others.
    pub async fn next_on(&mut self, topic: &str) -> Bytes {
        loop {
            let (t, payload) = self.next().await;
            if t == topic {
                return payload;
            }
        }
    }

    /// The next verdict, with its lane.
    pub async fn next_verdict(&mut self) -> (u16, Verdict) {
        loop {
            let (topic, payload) = self.next().await;
            if let Some(Topic::Lane {
                lane,
                channel: LaneChannel::Verdict,
                ..
            }) = Topic::parse(&topic)
            {
                return (lane, serde_json::from_slice(&payload).unwrap());
            }
        }
    }
}

/// Topic helpers for a station code.
pub fn lane_topic(station: &str, lane: u16, channel: &str) -> String {
    format!("gasq/{station}/lane/{lane}/{channel}")
}

pub fn verdicts(station: &str) -> String {
    format!("gasq/{station}/lane/+/verdict")
}
