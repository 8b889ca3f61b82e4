//! The agent on an external broker (`mqtt_url`), tried against the Mosquitto that
//! listens on 127.0.0.1:1883 on development machines and CI. Skips cleanly when none
//! does (or refuses anonymous clients). Topics are namespaced by a random station code, so parallel runs never meet.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::fake_cloud::FakeCloud;
use common::tokens;

const MOSQUITTO: &str = "127.0.0.1:1883";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_works_on_an_external_broker_with_its_status_as_last_will() {
    let addr: SocketAddr = MOSQUITTO.parse().unwrap();
    if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
        eprintln!("skipped: no MQTT broker listens on {MOSQUITTO}");
        return;
    }
    let station = format!("EXT-{}", rand::random::<u32>() % 100_000_000);
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, &station, 1).await;
    let status_topic = format!("gasq/{station}/edge/status");
    let filters = [verdicts(&station), status_topic.clone()];
    let Some(mut watcher) = BusClient::try_connect(addr, &filters, None).await else {
        eprintln!("skipped: the broker on {MOSQUITTO} does not take anonymous clients");
        return;
    };
    let running = Edge::start(data.path(), &[("GASQ_MQTT_URL", "mqtt://127.0.0.1:1883")]).await;
    assert!(
        running.status().await["mqtt"]
            .as_str()
            .unwrap()
            .contains("external")
    );

    let online: serde_json::Value =
        serde_json::from_slice(&watcher.next_on(&status_topic).await).unwrap();
    assert_eq!(online["agent_online"], true);
    watcher
        .publish(&lane_topic(&station, 1, "scan"), tokens::valid().text)
        .await;
    assert!(watcher.next_verdict().await.1.accepted);

    running.kill().await;
    loop {
        let status: serde_json::Value =
            serde_json::from_slice(&watcher.next_on(&status_topic).await).unwrap();
        if status["agent_online"] == false {
            break;
        }
    }
    // Leave no retained messages behind on the shared broker.
    for topic in [status_topic, format!("gasq/{station}/queue")] {
        watcher
            .client
            .publish(topic, rumqttc::QoS::AtLeastOnce, true, Vec::new())
            .await
            .unwrap();
    }
}
