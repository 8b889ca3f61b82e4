//! Invariant 2 (docs/architecture.md) across crashes: kill -9 the agent in the middle of a burst of scans;
//! every booking that got an `accepted` verdict is in the database after the restart,
//! and scanning it again says `already_used`.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::fake_cloud::FakeCloud;
use common::tokens;
use gasq_shared::topics::{Reason, Verdict};

const STATION: &str = "CRS-0001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_scanning_loses_no_accepted_redemption() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 2).await;
    let edge = Edge::start(data.path(), &[]).await;
    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;

    let burst: Vec<_> = (0..80).map(|_| tokens::valid()).collect();
    for (i, tok) in burst.iter().enumerate() {
        let payload = serde_json::json!({"id": i, "code": tok.text}).to_string();
        scanner
            .publish(&lane_topic(STATION, 1 + (i % 2) as u16, "scan"), payload)
            .await;
    }
    let mut answered: HashMap<usize, Verdict> = HashMap::new();
    while answered.len() < 10 {
        let (_, v) = scanner.next_verdict().await;
        answered.insert(v.scan_id.as_deref().unwrap().parse().unwrap(), v);
    }
    edge.kill().await;
    // Whatever was already on its way to us still counts.
    while let Some((_, payload)) = scanner.try_next(Duration::from_millis(200)).await {
        if let Ok(v) = serde_json::from_slice::<Verdict>(&payload) {
            answered.insert(v.scan_id.as_deref().unwrap().parse().unwrap(), v);
        }
    }
    let accepted: Vec<_> = answered
        .values()
        .filter(|v| v.accepted)
        .map(|v| v.booking_id.unwrap())
        .collect();
    assert!(accepted.len() >= 10, "{answered:?}");

    let restarted = Edge::start(data.path(), &[]).await;
    let db = rusqlite::Connection::open_with_flags(
        data.path().join("edge.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    for booking in &accepted {
        let found: i64 = db
            .query_row(
                "SELECT count(*) FROM redemptions WHERE booking_id = ?1",
                [booking.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 1, "accepted booking {booking} survived the crash");
    }

    let mut scanner = BusClient::connect(restarted.mqtt, &[verdicts(STATION)], None).await;
    for (i, tok) in burst.iter().enumerate() {
        scanner
            .publish(&lane_topic(STATION, 1, "scan"), tok.text.clone())
            .await;
        let (_, v) = scanner.next_verdict().await;
        if accepted.contains(&tok.booking) {
            assert_eq!(
                v.reason,
                Reason::AlreadyUsed,
                "scan {i} was accepted before the crash"
            );
        } else {
            // Never answered: redeemed now, or already redeemed just before the kill.
            assert!(
                matches!(v.reason, Reason::Ok | Reason::AlreadyUsed),
                "{v:?}"
            );
        }
    }
}
