//! Offline operation and store-and-forward (docs/architecture.md, invariant 3): the
//! station keeps validating while the cloud is away, records everything, and once the
//! cloud is back every event arrives and counts once — even when acks get lost and the
//! edge resends.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::collections::HashSet;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::fake_cloud::FakeCloud;
use common::tokens;
use gasq_shared::BookingId;
use gasq_shared::sync::{Change, EdgeEvent, EdgeEventKind};
use gasq_shared::topics::Reason;

const STATION: &str = "OFF-0001";

async fn scan(scanner: &mut BusClient, text: &str) -> gasq_shared::topics::Verdict {
    scanner.publish(&lane_topic(STATION, 1, "scan"), text).await;
    scanner.next_verdict().await.1
}

/// The redemptions among `events`: booking, and whether the edge knew it by sync.
fn redemptions(events: &[EdgeEvent]) -> Vec<(BookingId, bool)> {
    let redeemed = events.iter().filter_map(|e| match &e.kind {
        EdgeEventKind::Redeemed {
            booking_id, known, ..
        } => Some((*booking_id, *known)),
        _ => None,
    });
    redeemed.collect()
}

/// The reasons of the refusals among `events`.
fn refusals(events: &[EdgeEvent]) -> Vec<Reason> {
    let refused = events.iter().filter_map(|e| match &e.kind {
        EdgeEventKind::Rejected { reason, .. } => Some(*reason),
        _ => None,
    });
    refused.collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_edge_never_synced_is_accepted_offline() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    cloud.set_down(true);
    let edge = Edge::start(data.path(), &[]).await;
    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;

    let tok = tokens::valid();
    let v = scan(&mut scanner, &tok.text).await;
    assert!(v.accepted, "{v:?}");
    let status = edge
        .wait_status("the failed sync", |s| s["last_sync_error"].is_string())
        .await;
    assert_eq!(status["online_to_cloud"], false);
    assert!(status["outbox_depth"].as_u64() >= Some(1));

    cloud.set_down(false);
    edge.wait_status("the outbox to drain", |s| s["outbox_depth"] == 0)
        .await;
    assert_eq!(
        redemptions(&cloud.events()),
        vec![(tok.booking, false)],
        "an offline accept says known: false"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_cloud_down_scans_go_on_and_every_event_arrives_once_when_it_is_back() {
    let cloud = FakeCloud::start().await;
    let synced = tokens::valid();
    cloud.push_change(Change::Booking {
        booking: tokens::synced(&synced, "K7Q2"),
    });
    let data = edge::enroll(&cloud, STATION, 2).await;
    // Batches of 5: whichever reaches the cloud first when it is back, a pull or the
    // first push, reports an outbox that is not empty yet.
    let edge = Edge::start(data.path(), &[("GASQ_PUSH_BATCH", "5")]).await;
    edge.wait_synced().await;
    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;

    cloud.set_down(true);
    let mut accepted = vec![synced.booking];
    assert!(scan(&mut scanner, &synced.text).await.accepted);
    for _ in 0..9 {
        let tok = tokens::valid();
        assert!(scan(&mut scanner, &tok.text).await.accepted);
        accepted.push(tok.booking);
    }
    assert_eq!(
        scan(&mut scanner, &synced.text).await.reason,
        Reason::AlreadyUsed
    );
    assert_eq!(
        scan(&mut scanner, "garbage").await.reason,
        Reason::Malformed
    );

    let offline = edge
        .wait_status("the edge to notice", |s| s["online_to_cloud"] == false)
        .await;
    assert!(offline["outbox_depth"].as_u64() >= Some(12), "{offline:#}");
    assert!(offline["oldest_unsent_age_secs"].is_i64());

    // Back, but the first two answers get lost: the edge must resend, the cloud dedups.
    cloud.state().lose_acks = 2;
    let reports_before = cloud.state().health.len();
    cloud.set_down(false);
    edge.wait_status("the outbox to drain", |s| {
        s["outbox_depth"] == 0 && s["online_to_cloud"] == true
    })
    .await;
    // The edge told the cloud how far behind it was (the dashboard's freshness).
    let first_back = cloud.state().health[reports_before].clone();
    assert!(first_back.outbox_depth >= Some(7), "{first_back:?}");
    assert!(first_back.oldest_unsent_at.is_some());

    let events = cloud.events();
    let ids: HashSet<_> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), events.len());
    assert!(
        events.windows(2).all(|w| w[0].seq < w[1].seq),
        "seq grows strictly"
    );
    let redeemed = redemptions(&events);
    assert_eq!(
        redeemed.len(),
        accepted.len(),
        "each redemption counted once"
    );
    assert_eq!(
        redeemed[0],
        (synced.booking, true),
        "a synced booking is known"
    );
    assert!(redeemed[1..].iter().all(|(_, known)| !known));
    let refused = refusals(&events);
    assert!(refused.contains(&Reason::AlreadyUsed) && refused.contains(&Reason::Malformed));
    assert!(
        cloud.arrivals().iter().any(|n| *n > 1),
        "lost acks made the edge resend"
    );
}
