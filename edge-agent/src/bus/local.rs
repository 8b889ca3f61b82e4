//! The in-process link to the embedded rumqttd broker (`Broker::link`): no socket, no
//! serialisation, the lowest latency path for verdicts.
//!
//! Both sides are tasks on the runtime the caller names: the agent puts them on the
//! database thread beside the lanes (`Db::spawn`), so a scan goes from the broker's
//! router to its verdict and back without waking any other thread. rumqttd's `LinkTx`
//! hands packets to the router with a blocking channel send, which only waits while
//! the router's queue (1000 events) is full.
//!
//! IMPORTANT: if the link ever closes (rumqttd drops a session when another CONNECT
//! claims its client id — impossible for devices with credentials, possible with
//! `allow_anonymous`), the agent must not go deaf. A new in-process link cannot be made
//! once the broker runs (rumqttd keeps that inside `Broker::start`), so the agent
//! connects to its own broker over loopback TCP at once (the [`Fallback`]), with its
//! own login, and carries on there; [`LinkHealth`] is down in between, which `/healthz`
//! reports.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use rumqttc::{AsyncClient, QoS};
use rumqttd::Notification;
use rumqttd::local::{LinkRx, LinkTx};
use rumqttd::protocol::{Packet, Publish};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::{BusIo, INCOMING_CAPACITY, LinkHealth, Message, Outgoing, outgoing, remote};
use crate::metrics::Counters;

/// Why the link could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("station bus link: {0}")]
pub struct LinkError(String);

/// How to reach the embedded broker over TCP if the in-process link closes.
#[derive(Debug, Clone)]
pub struct Fallback {
    pub addr: SocketAddr,
    pub client_id: String,
    /// The agent's own login (`None` with `allow_anonymous`).
    pub login: Option<(String, String)>,
}

/// The TCP client, once the fallback is in use; publishes go there instead.
type Replacement = Arc<Mutex<Option<AsyncClient>>>;

/// Subscribes the link to `filters` and starts its publisher and reader tasks on
/// `runtime`.
pub fn connect(
    mut tx: LinkTx,
    rx: LinkRx,
    filters: &[String],
    counters: Arc<Counters>,
    fallback: Fallback,
    runtime: &Handle,
) -> Result<BusIo, LinkError> {
    for filter in filters {
        tx.subscribe(filter.clone())
            .map_err(|e| LinkError(format!("subscribe {filter}: {e}")))?;
    }
    let health = LinkHealth::default();
    health.set(true);
    let replacement = Replacement::default();
    let counters_for_reader = counters.clone();
    let (bus, out_rx) = outgoing(counters);
    let (in_tx, incoming) = mpsc::channel(INCOMING_CAPACITY);
    let publishing = replacement.clone();
    let publisher = runtime.spawn(publish_loop(tx, out_rx, publishing));
    let reader = Reader {
        counters: counters_for_reader,
        incoming: in_tx,
        health: health.clone(),
        replacement,
        fallback,
        filters: filters.to_vec(),
    };
    runtime.spawn(reader.run(rx));
    Ok(BusIo {
        bus,
        incoming,
        publisher,
        health,
    })
}

async fn publish_loop(mut tx: LinkTx, mut out: mpsc::Receiver<Outgoing>, replacement: Replacement) {
    while let Some(msg) = out.recv().await {
        let client = replacement
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match (msg, client) {
            (
                Outgoing::Publish {
                    topic,
                    payload,
                    retain,
                },
                Some(client),
            ) => {
                if let Err(e) = client.try_publish(topic, QoS::AtLeastOnce, retain, payload) {
                    tracing::error!(error = %e, "cannot publish on the fallback link");
                }
            }
            (
                Outgoing::Publish {
                    topic,
                    payload,
                    retain,
                },
                None,
            ) => {
                let packet =
                    Packet::Publish(Publish::new(Bytes::from(topic), payload, retain), None);
                // IMPORTANT: `send` never yields; the router channel send inside blocks
                // this thread while the router's queue is full (it drains on its own).
                if let Err(e) = tx.send(packet).await {
                    tracing::error!(error = %e, "embedded broker refused a publish");
                }
            }
            (Outgoing::Close, client) => {
                if let Some(client) = client {
                    let _ = client.try_disconnect();
                }
                break;
            }
        }
    }
}

/// The receiving side: the in-process link, then the fallback if it closes.
struct Reader {
    counters: Arc<Counters>,
    incoming: mpsc::Sender<Message>,
    health: LinkHealth,
    replacement: Replacement,
    fallback: Fallback,
    filters: Vec<String>,
}

impl Reader {
    async fn run(self, rx: LinkRx) {
        if !read_link(rx, &self.incoming).await {
            return;
        }
        self.health.set(false);
        Counters::bump(&self.counters.bus_link_drops);
        tracing::error!("the station-bus link closed; reconnecting over TCP at once");
        let Fallback {
            addr,
            client_id,
            login,
        } = self.fallback;
        let (client, mut events) =
            remote::client(client_id, addr.ip().to_string(), addr.port(), login, None);
        *self.replacement.lock().unwrap_or_else(|p| p.into_inner()) = Some(client.clone());
        remote::poll_loop(
            &mut events,
            &client,
            &self.filters,
            &self.incoming,
            &self.health,
        )
        .await;
    }
}

/// Forwards the link's publishes; `true` when the link closed (rather than the agent
/// stopping to read).
async fn read_link(mut rx: LinkRx, incoming: &mpsc::Sender<Message>) -> bool {
    loop {
        match rx.next().await {
            Ok(Some(Notification::Forward(forward))) => {
                let Ok(topic) = String::from_utf8(forward.publish.topic.to_vec()) else {
                    tracing::warn!("ignoring a publish whose topic is not UTF-8");
                    continue;
                };
                let msg = Message {
                    topic,
                    payload: forward.publish.payload,
                };
                if incoming.send(msg).await.is_err() {
                    return false;
                }
            }
            Ok(Some(Notification::Unschedule)) => {
                if let Err(e) = rx.wake().await {
                    tracing::error!(error = %e, "cannot reschedule the broker link");
                    return true;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "the embedded broker link closed");
                return true;
            }
        }
    }
}
