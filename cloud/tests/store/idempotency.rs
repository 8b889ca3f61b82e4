//! `Idempotency-Key`s: replays, a reused key, races on one key, remembered refusals and
//! expiry.

use std::sync::Arc;

use chrono::{Duration, Utc};
use gasq_cloud::store::{CreateBooking, IdempotencyKey, Store};

use super::support::*;

crate::on_both_backends!(
    an_idempotency_key_replays_the_same_booking_and_refuses_another_body,
    concurrent_requests_with_one_key_make_one_booking,
    a_key_remembers_a_full_slot_and_a_retry_gets_the_same_answer,
    an_idempotency_key_expires_after_24_hours,
);

async fn an_idempotency_key_replays_the_same_booking_and_refuses_another_body(
    store: Arc<dyn Store>,
) {
    let s = station(&store, "MUM-0002", 2).await;
    let driver = user(&store, "idem").await;
    let key = |h: &[u8]| {
        Some(IdempotencyKey {
            key: "k-1".into(),
            request_hash: h.to_vec(),
        })
    };
    let first = store
        .create_booking(booking(driver, &s, next_slot()), key(b"body-a"), audit("b"))
        .await
        .unwrap();
    let CreateBooking::Created(first) = first else {
        panic!("{first:?}")
    };
    let again = store
        .create_booking(booking(driver, &s, next_slot()), key(b"body-a"), audit("b"))
        .await
        .unwrap();
    let CreateBooking::Replayed(again) = again else {
        panic!("{again:?}")
    };
    assert_eq!(again.id, first.id);
    let other = store
        .create_booking(booking(driver, &s, next_slot()), key(b"body-b"), audit("b"))
        .await
        .unwrap();
    assert!(matches!(other, CreateBooking::KeyReused));
    let loads = store
        .slot_loads(s.id, next_slot(), next_slot() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(loads[0].held, 1, "a replay must not take a second place");
}

async fn concurrent_requests_with_one_key_make_one_booking(store: Arc<dyn Store>) {
    let s = station(&store, "MUM-0003", 4).await;
    let driver = user(&store, "race").await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        let b = booking(driver, &s, next_slot());
        let key = Some(IdempotencyKey {
            key: "same".into(),
            request_hash: b"same-body".to_vec(),
        });
        tasks.push(tokio::spawn(async move {
            store.create_booking(b, key, audit("b")).await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        match t.await.unwrap().unwrap() {
            CreateBooking::Created(b) | CreateBooking::Replayed(b) => ids.insert(b.id),
            other => panic!("unexpected {other:?}"),
        };
    }
    assert_eq!(ids.len(), 1);
}

async fn a_key_remembers_a_full_slot_and_a_retry_gets_the_same_answer(store: Arc<dyn Store>) {
    let s = one_place_station(&store, "MUM-0006").await;
    let slot = next_slot();
    let (first, late) = (user(&store, "first").await, user(&store, "late").await);
    let CreateBooking::Created(taken) = store
        .create_booking(booking(first, &s, slot), None, audit("b"))
        .await
        .unwrap()
    else {
        panic!()
    };
    let refused = store
        .create_booking(booking(late, &s, slot), key("k", b"body"), audit("b"))
        .await
        .unwrap();
    assert!(matches!(refused, CreateBooking::SlotFull), "{refused:?}");
    // The place comes free, but a retry under the same key gets the first answer.
    store
        .cancel_booking(taken.id, Utc::now(), audit("booking.cancel"))
        .await
        .unwrap();
    let retry = store
        .create_booking(booking(late, &s, slot), key("k", b"body"), audit("b"))
        .await
        .unwrap();
    assert!(
        matches!(retry, CreateBooking::ReplayedSlotFull),
        "{retry:?}"
    );
    let asked = |body: &[u8]| key("k", body).unwrap();
    let seen = store
        .idempotent_answer(late, &asked(b"body"), Utc::now())
        .await
        .unwrap();
    assert!(
        matches!(seen, Some(CreateBooking::ReplayedSlotFull)),
        "{seen:?}"
    );
    let elsewise = store
        .idempotent_answer(late, &asked(b"other"), Utc::now())
        .await
        .unwrap();
    assert!(
        matches!(elsewise, Some(CreateBooking::KeyReused)),
        "{elsewise:?}"
    );
    let other = store
        .create_booking(booking(late, &s, slot), key("k", b"other"), audit("b"))
        .await
        .unwrap();
    assert!(matches!(other, CreateBooking::KeyReused), "{other:?}");
    let fresh = store
        .create_booking(booking(late, &s, slot), key("k2", b"body"), audit("b"))
        .await
        .unwrap();
    assert!(matches!(fresh, CreateBooking::Created(_)), "{fresh:?}");
}

async fn an_idempotency_key_expires_after_24_hours(store: Arc<dyn Store>) {
    let s = station(&store, "MUM-0007", 2).await;
    let driver = user(&store, "expiry").await;
    let CreateBooking::Created(first) = store
        .create_booking(
            booking(driver, &s, next_slot()),
            key("k", b"body"),
            audit("b"),
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    let at = |hours: i64| Utc::now() + Duration::hours(hours);
    let mut day_later = booking(driver, &s, next_slot() + Duration::minutes(15));
    day_later.now = at(23);
    let replay = store
        .create_booking(day_later.clone(), key("k", b"body"), audit("b"))
        .await
        .unwrap();
    assert!(
        matches!(&replay, CreateBooking::Replayed(b) if b.id == first.id),
        "{replay:?}"
    );
    day_later.now = at(25);
    let again = store
        .create_booking(day_later, key("k", b"body"), audit("b"))
        .await
        .unwrap();
    let CreateBooking::Created(again) = again else {
        panic!("an expired key starts a new request: {again:?}")
    };
    assert_ne!(again.id, first.id);
    let k = key("k", b"body").unwrap();
    let seen = store.idempotent_answer(driver, &k, at(26)).await.unwrap();
    assert!(
        matches!(&seen, Some(CreateBooking::Replayed(b)) if b.id == again.id),
        "{seen:?}"
    );
    assert!(
        store
            .idempotent_answer(driver, &k, at(50))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.prune_idempotency_keys(at(50)).await.unwrap(), 1);
}
