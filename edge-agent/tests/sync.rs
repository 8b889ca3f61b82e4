//! The sync client against the fake cloud, driven directly (no agent process): paging
//! and full resync on pull; on push, rejected events quarantined, a poison event found
//! by narrowing refused batches and quarantined after its attempts, auth failures never
//! mistaken for poison.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::Utc;
use common::fake_cloud::{FakeCloud, PoisonMode};
use common::tokens;
use gasq_edge::datadir::DataDir;
use gasq_edge::db::{Db, Mode, kv};
use gasq_edge::device::{self, Device};
use gasq_edge::sync::client::{CloudClient, SyncError, http_client};
use gasq_edge::sync::{pull, push};
use gasq_edge::{identity, outbox};
use gasq_shared::sync::{Change, EdgeEventKind};

struct Box_ {
    _dir: tempfile::TempDir,
    db: Db,
    client: CloudClient,
    device: gasq_shared::DeviceId,
}

async fn enrolled(cloud: &FakeCloud) -> Box_ {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    cloud.add_code(
        "C1",
        tokens::station("SYN-0001", 2),
        tokens::token_keys(),
        "s",
    );
    gasq_edge::enroll::enroll(&data, &cloud.url, "C1", false)
        .await
        .unwrap();
    let db = Db::open(&data.db(), Mode::ReadWrite).unwrap();
    let id = identity::load(&db).await.unwrap().unwrap().device_id;
    let device = Device::new(id, device::load_key(&data.device_key()).unwrap()).unwrap();
    Box_ {
        _dir: dir,
        db,
        client: CloudClient::new(http_client(), &cloud.url, device),
        device: id,
    }
}

async fn record_lanes(db: &Db, lanes: std::ops::RangeInclusive<u16>) {
    db.call(move |c| {
        for lane in lanes {
            outbox::append(c, &EdgeEventKind::LaneOk { lane }, Utc::now())?;
        }
        Ok(())
    })
    .await
    .unwrap();
}

fn lanes_in_cloud(cloud: &FakeCloud) -> Vec<u16> {
    cloud
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EdgeEventKind::LaneOk { lane } => Some(lane),
            _ => None,
        })
        .collect()
}

async fn stats(db: &Db) -> outbox::OutboxStats {
    db.call(|c| outbox::stats(c)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_narrowed_down_and_quarantined_while_the_rest_flows() {
    let cloud = FakeCloud::start().await;
    let edge = enrolled(&cloud).await;
    record_lanes(&edge.db, 1..=10).await;
    cloud.set_poison(PoisonMode::RefuseBatch, |e| {
        matches!(e.kind, EdgeEventKind::LaneOk { lane: 6 })
    });

    let first = push::push(&edge.client, &edge.db, 200, 2).await;
    assert!(
        matches!(first, Err(SyncError::Refused { status: 422, .. })),
        "{first:?}"
    );
    assert_eq!(
        lanes_in_cloud(&cloud),
        [1, 2, 3, 4, 5],
        "everything before the poison got through"
    );

    let second = push::push(&edge.client, &edge.db, 200, 2).await.unwrap();
    assert_eq!(second.quarantined, 1);
    assert_eq!(
        lanes_in_cloud(&cloud),
        [1, 2, 3, 4, 5, 7, 8, 9, 10],
        "order kept"
    );
    let s = stats(&edge.db).await;
    assert_eq!((s.depth, s.quarantined), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_the_cloud_rejects_by_name_are_quarantined() {
    let cloud = FakeCloud::start().await;
    let edge = enrolled(&cloud).await;
    record_lanes(&edge.db, 1..=3).await;
    cloud.set_poison(PoisonMode::Reject, |e| {
        matches!(e.kind, EdgeEventKind::LaneOk { lane: 2 })
    });
    let pushed = push::push(&edge.client, &edge.db, 200, 3).await.unwrap();
    assert_eq!((pushed.acked, pushed.quarantined), (2, 1));
    assert_eq!(lanes_in_cloud(&cloud), [1, 3]);
    assert_eq!(stats(&edge.db).await.quarantined, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auth_failure_keeps_the_outbox_untouched() {
    let cloud = FakeCloud::start().await;
    let edge = enrolled(&cloud).await;
    record_lanes(&edge.db, 1..=3).await;
    cloud.state().revoked_devices.insert(edge.device);
    for _ in 0..5 {
        let err = push::push(&edge.client, &edge.db, 200, 1)
            .await
            .unwrap_err();
        assert!(
            matches!(err, SyncError::Auth { status: 401, .. }),
            "{err:?}"
        );
    }
    let s = stats(&edge.db).await;
    assert_eq!((s.depth, s.quarantined, s.max_attempts), (3, 0, 0));
}

async fn bookings(db: &Db) -> i64 {
    db.call(|c| Ok(c.query_row("SELECT count(*) FROM bookings", [], |r| r.get(0))?))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_follows_the_pages_and_an_unknown_cursor_means_a_full_resync() {
    let cloud = FakeCloud::start().await;
    let edge = enrolled(&cloud).await;
    cloud.state().page_size = 2;
    let toks: Vec<_> = (0..5).map(|_| tokens::valid()).collect();
    for (i, t) in toks.iter().enumerate() {
        cloud.push_change(Change::Booking {
            booking: tokens::synced(t, &format!("C{i}")),
        });
    }
    let pulled = pull::pull(&edge.client, &edge.db, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((pulled.pages, pulled.changes), (3, 5));
    assert_eq!(bookings(&edge.db).await, 5);
    assert!(pulled.skew_ms.abs() < 5_000);

    // The edge redeemed one; then the cloud no longer knows our cursor.
    let b = toks[0].booking;
    edge.db
        .call(move |c| {
            gasq_edge::redemptions::redeem(
                c,
                b,
                Some(1),
                gasq_edge::redemptions::Via::Scan,
                Utc::now(),
            )?;
            kv::set(c, kv::keys::CURSOR, &999_i64, Utc::now())
        })
        .await
        .unwrap();
    pull::pull(&edge.client, &edge.db, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(bookings(&edge.db).await, 5, "replaced, not duplicated");
    let kept = edge
        .db
        .call(move |c| gasq_edge::redemptions::is_redeemed(c, b))
        .await
        .unwrap();
    assert!(kept, "a full resync never drops a redemption");
}
