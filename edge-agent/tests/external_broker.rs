//! The agent on an external broker (`mqtt_url`): a private Mosquitto started for the test
//! (skipped, saying so, when Mosquitto is not installed).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::fake_cloud::FakeCloud;
use common::mosquitto::Mosquitto;
use common::tokens;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_works_on_an_external_broker_with_its_status_as_last_will() {
    let Some(mosquitto) = Mosquitto::start() else {
        eprintln!("skipped: Mosquitto is not installed (apt-get install mosquitto)");
        return;
    };
    let station = "EXT-0001";
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, station, 1).await;
    let status_topic = format!("gasq/{station}/edge/status");
    let filters = [verdicts(station), status_topic.clone()];
    let mut watcher = BusClient::connect(mosquitto.addr(), &filters, None).await;
    let running = Edge::start(data.path(), &[("GASQ_MQTT_URL", &mosquitto.url())]).await;
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
        .publish(&lane_topic(station, 1, "scan"), tokens::valid().text)
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
}
