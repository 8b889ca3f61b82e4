//! The edge agent as the bridge sees it: a broker (the station bus) and something that
//! answers scans with verdicts.
//!
//! [`StandInEdge`] is a test stand-in: an embedded rumqttd broker plus a responder that
//! verifies the token signature with the test key ([`super::tokens`]), checks the
//! station id, redeems each booking once, and publishes the contract verdict on the
//! scan's lane. The real `gasq-edge` (enrolled with the real `gasq-cloud`, whose keys
//! sign the tokens) is in [`super::programs`], used by `end_to_end_real.rs`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use gasq_shared::StationCode;
use gasq_shared::token::{self, KeySet};
use gasq_shared::topics::{LaneChannel, Reason, Scan, Topic, Verdict};

use super::broker::EmbeddedBroker;
use super::bus::Watcher;
use super::tokens;

/// What the end-to-end tests need from an edge.
pub trait EdgeUnderTest {
    /// The station bus URL to put in the bridge's config.
    fn mqtt_url(&self) -> String;
    /// The station bus address, for test watchers.
    fn mqtt_addr(&self) -> SocketAddr;
    /// The bridge's credentials file for this edge's bus (`gasq-edge bus-client add`).
    fn credentials(&self) -> &std::path::Path;
    /// The keys of the bridge's `[mqtt]` section for this edge.
    fn mqtt_toml(&self) -> String {
        format!(
            "url = \"{}\"\ncredentials = \"{}\"\n",
            self.mqtt_url(),
            self.credentials().display()
        )
    }
    /// `[mqtt]` for a bridge started in this process on this edge's bus.
    fn mqtt_config(&self) -> gasq_bridge::config::MqttConfig {
        let mut text = format!("station = \"MUM-0042\"\n[mqtt]\n{}", self.mqtt_toml());
        text.push('\n');
        gasq_bridge::config::parse_str(&text).unwrap().mqtt
    }
    /// A token this edge accepts once (`kg` `None` = full fill).
    fn token_for(&self, booking: gasq_shared::BookingId, kg: Option<f64>, vehicle: &str) -> String {
        tokens::token(booking, kg, vehicle)
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct StandInEdge {
    broker: EmbeddedBroker,
    dir: tempfile::TempDir,
    credentials: std::path::PathBuf,
    /// Scans received, in order.
    pub scans: Arc<Mutex<Vec<Scan>>>,
}

impl EdgeUnderTest for StandInEdge {
    fn mqtt_url(&self) -> String {
        self.broker.url()
    }
    fn mqtt_addr(&self) -> SocketAddr {
        self.broker.addr
    }
    fn credentials(&self) -> &std::path::Path {
        &self.credentials
    }
}

impl StandInEdge {
    pub async fn start(station: &StationCode) -> Self {
        let broker = EmbeddedBroker::start();
        let filter = Topic::all_lanes(station, LaneChannel::Scan);
        let mut watcher = Watcher::connect(broker.addr, "stand-in-edge", &[&filter]).await;
        let scans = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&scans);
        let keys = tokens::key_set();
        tokio::spawn(async move {
            let mut redeemed = HashSet::new();
            loop {
                let message = watcher.next_where(|_| true).await;
                let Some(Topic::Lane { station, lane, .. }) = Topic::parse(&message.topic) else {
                    continue;
                };
                let scan = Scan::parse(&message.payload);
                if let Ok(s) = &scan {
                    seen.lock().unwrap().push(s.clone());
                }
                let verdict = judge(scan, &keys, &mut redeemed, lane);
                let topic = Topic::lane(&station, lane, LaneChannel::Verdict).to_string();
                watcher
                    .publish(&topic, serde_json::to_vec(&verdict).unwrap())
                    .await;
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let credentials = tokens::stand_in_credentials(dir.path());
        Self {
            broker,
            dir,
            credentials,
            scans,
        }
    }
}

fn judge(
    scan: Result<Scan, gasq_shared::ParseError>,
    keys: &KeySet,
    redeemed: &mut HashSet<gasq_shared::BookingId>,
    lane: u16,
) -> Verdict {
    let mut verdict = Verdict {
        scan_id: None,
        accepted: false,
        reason: Reason::Malformed,
        booking_id: None,
        vehicle: None,
        quantity_kg: None,
        lane: Some(lane),
        at: chrono::Utc::now(),
    };
    let Ok(scan) = scan else { return verdict };
    verdict.scan_id = scan.id.clone();
    let claims = match token::verify(&scan.code, keys) {
        Ok(c) => c,
        Err(e) => {
            verdict.reason = Reason::from(&e);
            return verdict;
        }
    };
    verdict.booking_id = Some(claims.booking_id);
    verdict.vehicle = Some(claims.vehicle.clone()).filter(|v| !v.is_empty());
    verdict.reason = if claims.station_id != tokens::STATION_ID {
        Reason::WrongStation
    } else if !redeemed.insert(claims.booking_id) {
        Reason::AlreadyUsed
    } else {
        verdict.accepted = true;
        verdict.quantity_kg = claims.quantity.kg();
        Reason::Ok
    };
    verdict
}
