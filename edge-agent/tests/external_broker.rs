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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mosquitto_enforces_the_files_bus_client_mosquitto_writes() {
    if Mosquitto::start().is_none() {
        eprintln!("skipped: Mosquitto is not installed (apt-get install mosquitto)");
        return;
    }
    let station = "EXT-0002";
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, station, 1).await;
    std::fs::write(
        data.path().join("edge.toml"),
        format!(
            "{}mqtt_username = \"gasq_edge\"\nmqtt_password = \"agent-secret\"\n",
            std::fs::read_to_string(data.path().join("edge.toml")).unwrap()
        ),
    )
    .unwrap();
    let login = edge::test_login(data.path()).await;
    let files = data.path().join("mosquitto");
    let out = edge::output(
        &["bus-client", "mosquitto", "--out", files.to_str().unwrap()],
        data.path(),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rules = format!(
        "allow_anonymous false\npassword_file {}\nacl_file {}\nuse_username_as_clientid true\n",
        files.join("passwd").display(),
        files.join("acl").display()
    );
    let mosquitto = Mosquitto::start_with(&rules).unwrap();
    assert!(
        BusClient::try_connect_as(mosquitto.addr(), &[], "phone", None)
            .await
            .is_none(),
        "Mosquitto refuses anonymous clients"
    );
    let wrong = Some((login.username.clone(), "guess".to_owned()));
    assert!(
        BusClient::try_connect_as(mosquitto.addr(), &[], "phone", wrong)
            .await
            .is_none()
    );

    // The agent logs in with its own login, the device with the one `add` printed.
    let running = Edge::start(data.path(), &[("GASQ_MQTT_URL", &mosquitto.url())]).await;
    running
        .wait_status("the agent on Mosquitto", |s| s["bus_link_up"] == true)
        .await;
    let mut lane = BusClient::connect(mosquitto.addr(), &[verdicts(station)], None).await;
    lane.publish(&lane_topic(station, 1, "scan"), tokens::valid().text)
        .await;
    assert!(lane.next_verdict().await.1.accepted);
}
