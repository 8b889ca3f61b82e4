//! Invariant 2 (docs/architecture.md) across lanes: the same token scanned at two lanes at the same moment is
//! accepted exactly once.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::fake_cloud::FakeCloud;
use common::tokens;
use gasq_shared::topics::Reason;

const STATION: &str = "RCE-0001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_lanes_racing_one_token_accept_it_exactly_once() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 2).await;
    let edge = Edge::start(data.path(), &[]).await;
    let lane1 = BusClient::connect(edge.mqtt, &[], None).await;
    let lane2 = BusClient::connect(edge.mqtt, &[], None).await;
    let mut display = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;

    let rounds = 20;
    for _ in 0..rounds {
        let tok = tokens::valid();
        let (a, b) = (
            lane_topic(STATION, 1, "scan"),
            lane_topic(STATION, 2, "scan"),
        );
        tokio::join!(
            lane1.publish(&a, tok.text.clone()),
            lane2.publish(&b, tok.text.clone())
        );
        let (_, first) = display.next_verdict().await;
        let (_, second) = display.next_verdict().await;
        let mut reasons = [first.reason, second.reason];
        reasons.sort_by_key(|r| r.as_str());
        assert_eq!(
            reasons,
            [Reason::AlreadyUsed, Reason::Ok],
            "{first:?} / {second:?}"
        );
        assert_eq!(first.booking_id, Some(tok.booking));
        assert_eq!(second.booking_id, Some(tok.booking));
    }
    let status = edge.status().await;
    assert_eq!(status["counters"]["verdicts"]["ok"], rounds);
    assert_eq!(status["counters"]["verdicts"]["already_used"], rounds);
}
