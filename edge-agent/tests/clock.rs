//! Time the validator can trust (docs/edge.md "Time"), through the real `gasq-edge`
//! against a cloud whose clock differs from the box's: a box whose clock is set back
//! judges tokens by the cloud's time — online, and offline after a restart (the last
//! known good time) — and so does a box whose clock jumped forward.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::fake_cloud::FakeCloud;
use common::tokens::{self, KID, STATION_ID};
use gasq_shared::topics::Reason;

const STATION: &str = "CLK-0001";
const HOUR: i64 = 3600;

/// A token for this station valid from `from` to `until` seconds from now (wall clock).
fn token(from: i64, until: i64) -> String {
    tokens::token_for(STATION_ID, from, until, &tokens::signing_key(), KID).text
}

async fn scan(edge: &Edge, text: String) -> Reason {
    let mut lane = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    lane.publish(&lane_topic(STATION, 1, "scan"), text).await;
    lane.next_verdict().await.1.reason
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_set_back_is_overruled_online_and_after_an_offline_restart() {
    let cloud = FakeCloud::start().await;
    // The cloud is an hour ahead: this box's clock was set back an hour.
    cloud.set_clock_ahead(HOUR);
    let data = edge::enroll(&cloud, STATION, 1).await;
    let running = Edge::start(data.path(), &[]).await;
    // Its first device token is from the wrong hour; the answer tells it the time.
    let status = running.wait_synced().await;
    assert_eq!(status["clock"]["source"], "cloud", "{status:#}");
    assert!(
        status["warnings"].to_string().contains("timedatectl"),
        "{status:#}"
    );

    // Valid by the box's clock, expired by the cloud's: refused.
    assert_eq!(scan(&running, token(-2 * HOUR, 600)).await, Reason::Expired);
    // Not yet valid by the box's clock, valid by the cloud's: accepted.
    assert_eq!(scan(&running, token(50 * 60, 2 * HOUR)).await, Reason::Ok);

    // Offline, restarted: the last known good time is a floor.
    running.kill().await;
    drop(cloud);
    let restarted = Edge::start(data.path(), &[]).await;
    let status = restarted.status().await;
    assert_eq!(status["clock"]["source"], "last_known_good", "{status:#}");
    assert_eq!(
        scan(&restarted, token(-2 * HOUR, 600)).await,
        Reason::Expired
    );
    assert_eq!(scan(&restarted, token(50 * 60, 2 * HOUR)).await, Reason::Ok);
    let doctor = edge::output(&["doctor"], data.path()).await;
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(report.contains("clock floor"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_jumped_forward_is_overruled() {
    let cloud = FakeCloud::start().await;
    // The cloud is an hour behind: this box's clock jumped forward an hour.
    cloud.set_clock_ahead(-HOUR);
    let data = edge::enroll(&cloud, STATION, 1).await;
    let running = Edge::start(data.path(), &[]).await;
    let status = running.wait_synced().await;
    assert_eq!(status["clock"]["source"], "cloud", "{status:#}");
    assert!(
        status["clock"]["wall_off_secs"].as_i64().unwrap() > HOUR - 60,
        "{status:#}"
    );

    // Expired by the box's clock, valid by the cloud's: accepted.
    assert_eq!(scan(&running, token(-2 * HOUR, -30 * 60)).await, Reason::Ok);
    // Valid by the box's clock, not yet by the cloud's: refused.
    assert_eq!(
        scan(&running, token(-10 * 60, 2 * HOUR)).await,
        Reason::NotYetValid
    );
}
