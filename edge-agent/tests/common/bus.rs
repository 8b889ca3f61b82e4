//! An MQTT client (rumqttc) playing the lane scanners and displays.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use gasq_shared::topics::{LaneChannel, Topic, Verdict};
use rumqttc::{AsyncClient, Event, MqttOptions, NetworkOptions, Outgoing, Packet, QoS};
use tokio::sync::{mpsc, oneshot};

use super::DEADLINE;

pub struct BusClient {
    pub client: AsyncClient,
    rx: mpsc::UnboundedReceiver<(String, Bytes)>,
    task: tokio::task::JoinHandle<()>,
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
        let id = format!("test-{}", uuid::Uuid::new_v4().simple());
        let mut options = MqttOptions::new(id, addr.ip().to_string(), addr.port());
        options.set_keep_alive(Duration::from_secs(30));
        options.set_max_packet_size(32 << 20, 32 << 20);
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
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
        let ok = tokio::time::timeout(DEADLINE, ready_rx).await.ok()?.ok()?;
        ok.then_some(Self { client, rx, task })
    }

    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.into())
            .await
            .unwrap();
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
