//! What the agent's log says about devices on the station bus: a device that leaves
//! cleanly (a bridge that stops) is no error; a real broker error still is one.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::process::Stdio;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::eventually;
use common::fake_cloud::FakeCloud;

const STATION: &str = "LOG-0001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_disconnect_is_not_logged_as_an_error_but_a_real_broker_error_is() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    let log = data.path().join("agent.log");
    let file = std::fs::File::create(&log).unwrap();
    let env = [("GASQ_LOG", "warn,rumqttd=info")];
    let running = Edge::start_logging(data.path(), &env, Stdio::from(file)).await;
    let read = || std::fs::read_to_string(&log).unwrap();

    let mut device = BusClient::connect(running.mqtt, &[verdicts(STATION)], None).await;
    device.disconnect().await;
    eventually("the broker to see the device go", || {
        read().contains("Disconnecting connection")
    })
    .await;
    // A real error: a publish larger than the broker takes. Once it is in the log, so is
    // anything the clean exit above made the broker say.
    let oversized = BusClient::connect(running.mqtt, &[], None).await;
    let frame = lane_topic(STATION, 1, "frame");
    oversized.publish(&frame, vec![0u8; 9 * 1024 * 1024]).await;
    eventually("the oversized publish to be logged", || {
        read().contains("PayloadSizeLimitExceeded")
    })
    .await;
    let errors: Vec<String> = read()
        .lines()
        .filter(|l| l.contains("ERROR"))
        .map(str::to_owned)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("PayloadSizeLimitExceeded"),
        "{errors:#?}"
    );
}
