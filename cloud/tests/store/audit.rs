//! The audit log: one unbroken hash chain, even while bookings commit during sealing;
//! filters and paging.

use std::sync::Arc;

use gasq_cloud::domain::audit::ChainVerifier;
use gasq_cloud::domain::{AuditEntry, Role};
use gasq_cloud::store::{AuditFilter, Store};
use gasq_shared::UserId;

use super::support::*;

crate::on_both_backends!(
    every_change_is_in_an_unbroken_audit_chain,
    sealing_while_bookings_commit_keeps_one_unbroken_chain,
    audit_filters_narrow_by_action_actor_target_and_time_and_page_backwards,
);

async fn every_change_is_in_an_unbroken_audit_chain(store: Arc<dyn Store>) {
    let s = station(&store, "BLR-0001", 1).await;
    let a = user(&store, "audited").await;
    store
        .create_booking(booking(a, &s, next_slot()), None, audit("booking.create"))
        .await
        .unwrap();
    assert!(
        store.audit_chain(0, 1000).await.unwrap().is_empty(),
        "nothing sealed yet"
    );
    assert_eq!(store.unsealed_audit().await.unwrap(), 3);
    assert_eq!(store.seal_audit(1000).await.unwrap(), 3);
    assert_eq!(store.unsealed_audit().await.unwrap(), 0);
    let chain = store.audit_chain(0, 1000).await.unwrap();
    let actions: Vec<&str> = chain.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["station.create", "user.register", "booking.create"]
    );
    let mut verifier = ChainVerifier::default();
    for r in &chain {
        verifier.check(r).unwrap();
    }
    let mut tampered = chain[1].clone();
    tampered.detail = "{\"edited\":true}".into();
    let mut verifier = ChainVerifier::default();
    verifier.check(&chain[0]).unwrap();
    assert!(verifier.check(&tampered).is_err());
}

async fn sealing_while_bookings_commit_keeps_one_unbroken_chain(store: Arc<dyn Store>) {
    let s = station(&store, "HYD-0001", 6).await;
    let mut drivers = Vec::new();
    for i in 0..20 {
        drivers.push(user(&store, &format!("c{i}")).await);
    }
    let bookings: Vec<_> = drivers
        .into_iter()
        .map(|d| {
            let store = store.clone();
            let b = booking(d, &s, next_slot());
            tokio::spawn(
                async move { store.create_booking(b, None, audit("booking.create")).await },
            )
        })
        .collect();
    let sealer = {
        let store = store.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                store.seal_audit(7).await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    for b in bookings {
        b.await.unwrap().unwrap();
    }
    sealer.await.unwrap();
    while store.seal_audit(1000).await.unwrap() > 0 {}
    let chain = store.audit_chain(0, 1000).await.unwrap();
    assert_eq!(
        chain.len(),
        1 + 20 + 20,
        "station, users, bookings: every entry once"
    );
    let mut verifier = ChainVerifier::default();
    for r in &chain {
        verifier.check(r).unwrap();
    }
}

async fn audit_filters_narrow_by_action_actor_target_and_time_and_page_backwards(
    store: Arc<dyn Store>,
) {
    let (alice, bob) = (UserId::new(), UserId::new());
    let entry = |actor: UserId, action: &str, target: &str| AuditEntry {
        actor_id: Some(actor),
        actor_role: Some(Role::Driver),
        action: action.into(),
        target: target.into(),
        ..AuditEntry::default()
    };
    store
        .append_audit(entry(alice, "vehicle.add", "vehicle:1"))
        .await
        .unwrap();
    store
        .append_audit(entry(bob, "vehicle.add", "vehicle:2"))
        .await
        .unwrap();
    store
        .append_audit(entry(alice, "booking.cancel", "booking:9"))
        .await
        .unwrap();
    store
        .append_audit(entry(alice, "vehicle.add", "vehicle:3"))
        .await
        .unwrap();
    let find = |f: AuditFilter| {
        let store = store.clone();
        async move {
            store
                .audit_entries(f)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.target)
                .collect::<Vec<_>>()
        }
    };
    let all = AuditFilter {
        limit: 100,
        ..AuditFilter::default()
    };
    assert_eq!(
        find(all.clone()).await,
        ["vehicle:3", "booking:9", "vehicle:2", "vehicle:1"],
        "newest first"
    );
    let by_action = AuditFilter {
        action: Some("vehicle.add".into()),
        ..all.clone()
    };
    assert_eq!(
        find(by_action.clone()).await,
        ["vehicle:3", "vehicle:2", "vehicle:1"]
    );
    let alices_vehicles = AuditFilter {
        actor_id: Some(alice),
        ..by_action.clone()
    };
    assert_eq!(find(alices_vehicles).await, ["vehicle:3", "vehicle:1"]);
    let one_target = AuditFilter {
        target: Some("vehicle:2".into()),
        ..all.clone()
    };
    assert_eq!(find(one_target).await, ["vehicle:2"]);
    // A time window: from the cancel's instant (inclusive) or up to it (exclusive).
    let everything = store.audit_entries(all.clone()).await.unwrap();
    let at = everything
        .iter()
        .find(|r| r.target == "booking:9")
        .unwrap()
        .at_micros;
    let expect = |keep: &dyn Fn(i64) -> bool| {
        everything
            .iter()
            .filter(|r| keep(r.at_micros))
            .map(|r| r.target.clone())
            .collect::<Vec<_>>()
    };
    let since = find(AuditFilter {
        since_micros: Some(at),
        ..all.clone()
    })
    .await;
    assert!(since.contains(&"booking:9".to_owned()), "{since:?}");
    assert_eq!(since, expect(&|t| t >= at));
    let until = find(AuditFilter {
        until_micros: Some(at),
        ..all.clone()
    })
    .await;
    assert!(!until.contains(&"booking:9".to_owned()), "{until:?}");
    assert_eq!(until, expect(&|t| t < at));
    // Paging backwards: two at a time, each page starting below the last one's end.
    let page1 = store
        .audit_entries(AuditFilter {
            limit: 2,
            ..by_action.clone()
        })
        .await
        .unwrap();
    assert_eq!(page1.len(), 2);
    let page2 = AuditFilter {
        limit: 2,
        before_id: Some(page1[1].id),
        ..by_action
    };
    assert_eq!(find(page2).await, ["vehicle:1"]);
}
