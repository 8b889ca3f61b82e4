//! A test client on the station bus: subscribes to topic filters and collects what
//! arrives; publishes like the edge does (a verdict signed with the stand-in edge's
//! key, see [`super::tokens::signed_verdict`]). Ready (subscriptions acknowledged) when
//! `connect` returns, so nothing published afterwards is missed.
//!
//! A real `gasq-edge` refuses anonymous clients: [`register_login`] gives the login
//! watchers of a broker use (client ids then start with its username).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::PATIENCE;

/// One received publish.
#[derive(Debug, Clone)]
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.payload).expect("a JSON payload")
    }
}

/// Logins registered per broker address.
static LOGINS: Mutex<Option<HashMap<SocketAddr, (String, String)>>> = Mutex::new(None);

/// Makes watchers of the broker at `addr` log in as `user`.
pub fn register_login(addr: SocketAddr, user: &str, password: &str) {
    let mut logins = LOGINS.lock().unwrap();
    logins
        .get_or_insert_with(HashMap::new)
        .insert(addr, (user.to_owned(), password.to_owned()));
}

fn login_for(addr: SocketAddr) -> Option<(String, String)> {
    LOGINS.lock().unwrap().as_ref()?.get(&addr).cloned()
}

#[derive(Debug)]
pub struct Watcher {
    pub client: AsyncClient,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl Watcher {
    pub async fn connect(broker: SocketAddr, id: &str, filters: &[&str]) -> Self {
        let login = login_for(broker);
        let id = match &login {
            Some((user, _)) => format!("{user}-{id}"),
            None => id.to_owned(),
        };
        let mut options = MqttOptions::new(id, broker.ip().to_string(), broker.port());
        options.set_keep_alive(Duration::from_secs(30));
        if let Some((user, password)) = login {
            options.set_credentials(user, password);
        }
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        for f in filters {
            client
                .subscribe(*f, QoS::AtLeastOnce)
                .await
                .expect("subscribe queued");
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send(Received {
                            topic: p.topic,
                            payload: p.payload.to_vec(),
                        });
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = ready_tx.send(());
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        for _ in filters {
            tokio::time::timeout(PATIENCE, ready_rx.recv())
                .await
                .expect("subscription acknowledged in time");
        }
        Self { client, rx }
    }

    /// The next publish whose topic ends with `suffix` (others are skipped).
    pub async fn next_on(&mut self, suffix: &str) -> Received {
        self.next_where(|r| r.topic.ends_with(suffix)).await
    }

    /// The next publish satisfying `pred`.
    pub async fn next_where(&mut self, mut pred: impl FnMut(&Received) -> bool) -> Received {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let r = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .expect("message arrived in time")
                .expect("watcher running");
            if pred(&r) {
                return r;
            }
        }
    }

    /// Everything that arrives within `quiet` of the previous message.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Received> {
        let mut out = Vec::new();
        while let Ok(Some(r)) = tokio::time::timeout(quiet, self.rx.recv()).await {
            out.push(r);
        }
        out
    }

    /// Publishes at QoS 1; a verdict is stamped now and signed as the edge does.
    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        let payload = payload.into();
        let payload = if topic.ends_with("/verdict") {
            super::tokens::signed_verdict(topic, &payload)
        } else {
            payload
        };
        self.publish_raw(topic, payload).await;
    }

    /// Publishes exactly these bytes.
    pub async fn publish_raw(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .expect("publish queued");
    }
}
