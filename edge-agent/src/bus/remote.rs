//! An external broker (e.g. Mosquitto) instead of the embedded one: `mqtt_url =
//! "mqtt://host:port"`. One task owns the rumqttc event loop (and with it reconnects);
//! the agent's retained `edge/status` is also its last will there, so the station sees
//! the agent go offline even when it dies without a word.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, NetworkOptions, Packet, QoS};
use tokio::sync::mpsc;

use super::{BusIo, INCOMING_CAPACITY, LinkHealth, Message, Outgoing, outgoing};
use crate::metrics::Counters;

/// A parsed `mqtt://host:port` (port defaults to 1883).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub host: String,
    pub port: u16,
}

impl BrokerUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = || format!("{url:?} is not an MQTT broker URL (e.g. mqtt://127.0.0.1:1883)");
        let parsed = reqwest::Url::parse(url).map_err(|_| bad())?;
        if !matches!(parsed.scheme(), "mqtt" | "tcp") {
            return Err(format!(
                "{url:?}: only mqtt:// (plain TCP on the station LAN) is supported"
            ));
        }
        let host = parsed.host_str().ok_or_else(bad)?.to_owned();
        Ok(Self {
            host,
            port: parsed.port().unwrap_or(1883),
        })
    }
}

/// What the agent connects with.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    pub url: BrokerUrl,
    pub client_id: String,
    pub credentials: Option<(String, String)>,
    /// Retained topic and payload published by the broker if the agent vanishes.
    pub will: (String, Bytes),
}

/// An rumqttc client and its event loop for `host:port` (also the embedded broker's
/// fallback link, see `local`).
pub fn client(
    client_id: String,
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
    will: Option<(String, Bytes)>,
) -> (AsyncClient, EventLoop) {
    let mut mqtt = MqttOptions::new(client_id, host, port);
    mqtt.set_keep_alive(Duration::from_secs(15));
    let max = gasq_shared::topics::MAX_FRAME_BYTES + 64 * 1024;
    mqtt.set_max_packet_size(max, max);
    if let Some((user, pass)) = credentials {
        mqtt.set_credentials(user, pass);
    }
    if let Some((will_topic, will_payload)) = will {
        mqtt.set_last_will(LastWill::new(
            will_topic,
            will_payload,
            QoS::AtLeastOnce,
            true,
        ));
    }
    let (client, mut events) = AsyncClient::new(mqtt, 256);
    let mut net = NetworkOptions::new();
    net.set_tcp_nodelay(true);
    events.set_network_options(net);
    (client, events)
}

/// Connects (lazily: the event loop connects and reconnects on its own).
pub fn connect(options: RemoteOptions, filters: Vec<String>, counters: Arc<Counters>) -> BusIo {
    let (client, mut events) = client(
        options.client_id,
        options.url.host,
        options.url.port,
        options.credentials,
        Some(options.will),
    );
    let health = LinkHealth::default();
    let (bus, out_rx) = outgoing(counters);
    let (in_tx, incoming) = mpsc::channel(INCOMING_CAPACITY);
    let poller = client.clone();
    let up = health.clone();
    let polling = tokio::spawn(async move {
        poll_loop(&mut events, &poller, &filters, &in_tx, &up).await;
    });
    // Closing is done when the event loop has sent the DISCONNECT (after every publish
    // queued before it), not merely when it was requested.
    let publisher = tokio::spawn(async move {
        publish_loop(client, out_rx).await;
        let _ = polling.await;
    });
    BusIo {
        bus,
        incoming,
        publisher,
        health,
    }
}

/// Polls the event loop until DISCONNECT (or nobody reads `incoming`): subscribes on
/// every connection, forwards publishes, and keeps `health` up while connected.
pub async fn poll_loop(
    events: &mut EventLoop,
    client: &AsyncClient,
    filters: &[String],
    incoming: &mpsc::Sender<Message>,
    health: &LinkHealth,
) {
    let mut failures: u32 = 0;
    let mut subacks_due = 0;
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                subacks_due -= 1;
                // Only with every subscription in place does the agent hear the lanes.
                if subacks_due == 0 {
                    health.set(true);
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                failures = 0;
                subacks_due = filters.len();
                tracing::info!("station-bus link connected");
                for filter in filters {
                    if let Err(e) = client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
                        tracing::error!(%filter, error = %e, "cannot subscribe");
                    }
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let msg = Message {
                    topic: p.topic,
                    payload: p.payload,
                };
                if incoming.send(msg).await.is_err() {
                    return;
                }
            }
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => return,
            Ok(_) => {}
            Err(e) => {
                health.set(false);
                failures = failures.saturating_add(1);
                let wait = Duration::from_millis(250 * u64::from(failures.min(20)));
                tracing::warn!(error = %e, retry_in = ?wait, "station-bus broker connection lost");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

async fn publish_loop(client: AsyncClient, mut out: mpsc::Receiver<Outgoing>) {
    while let Some(msg) = out.recv().await {
        match msg {
            Outgoing::Publish {
                topic,
                payload,
                retain,
            } => {
                if let Err(e) = client
                    .publish_bytes(topic, QoS::AtLeastOnce, retain, payload)
                    .await
                {
                    tracing::error!(error = %e, "cannot publish to the external broker");
                }
            }
            Outgoing::Close => {
                let _ = client.disconnect().await;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_parse_with_a_default_port() {
        assert_eq!(
            BrokerUrl::parse("mqtt://10.0.0.5").unwrap(),
            BrokerUrl {
                host: "10.0.0.5".into(),
                port: 1883
            }
        );
        assert_eq!(BrokerUrl::parse("mqtt://box:1884").unwrap().port, 1884);
        assert!(BrokerUrl::parse("http://box").is_err());
        assert!(BrokerUrl::parse("nonsense").is_err());
    }
}
