//! The store's behaviour, identical on SQLite and PostgreSQL. Each test runs on both
//! (PostgreSQL when `GASQ_TEST_DATABASE_URL` is set, as `.ci/run` does).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use gasq_cloud::audit::ChainVerifier;
use gasq_cloud::domain::{AuditEntry, BookingStatus, PaymentMethod, Role, Station, Vehicle};
use gasq_cloud::store::{
    AuditFilter, CreateBooking, FirstAnswer, IdempotencyKey, NewBooking, NewRefreshToken,
    NewStation, NewUser, RefreshOutcome, SigningKeyRecord, Store, StoreError,
};
use gasq_shared::{BookingId, Quantity, StationCode, UserId, VehicleId, VehicleReg};

on_both_backends!(
    fifty_concurrent_bookings_fill_a_slot_exactly_to_capacity,
    an_idempotency_key_replays_the_same_booking_and_refuses_another_body,
    concurrent_requests_with_one_key_make_one_booking,
    a_key_remembers_a_full_slot_and_a_retry_gets_the_same_answer,
    an_idempotency_key_expires_after_24_hours,
    cancelling_frees_the_place_once,
    lapsed_payment_holds_expire_and_free_their_place,
    a_second_account_with_the_same_email_is_a_conflict,
    a_reused_refresh_token_revokes_its_family,
    logging_out_ends_the_session_once_and_audits_it,
    a_duplicate_station_code_is_a_conflict,
    lowering_lanes_resizes_future_slots,
    a_lane_change_reaches_the_slot_in_progress,
    a_first_booking_sizes_its_slot_from_the_station_as_it_is_then,
    every_change_is_in_an_unbroken_audit_chain,
    sealing_while_bookings_commit_keeps_one_unbroken_chain,
    failed_logins_count_per_account_in_the_window_until_cleared_or_pruned,
    a_driver_sees_only_their_vehicles_and_cannot_add_one_twice,
    signing_keys_list_in_kid_order_and_a_taken_kid_is_a_conflict,
    confirmed_bookings_past_their_window_become_no_shows_once,
    audit_filters_narrow_by_action_actor_target_and_time_and_page_backwards,
    a_vehicle_is_removed_only_by_its_owner_and_not_while_a_booking_of_it_is_live,
);

fn audit(action: &str) -> AuditEntry {
    AuditEntry {
        action: action.into(),
        target: "test".into(),
        ..AuditEntry::default()
    }
}

async fn station(store: &Arc<dyn Store>, code: &str, lanes: u16) -> Station {
    let new = NewStation::with_defaults(
        StationCode::parse(code).unwrap(),
        format!("Station {code}"),
        19.07,
        72.87,
        lanes,
    );
    store
        .create_station(new, audit("station.create"))
        .await
        .unwrap()
}

/// A station whose slots hold one vehicle each (one lane, 15 minutes a vehicle).
async fn one_place_station(store: &Arc<dyn Store>, code: &str) -> Station {
    let mut new =
        NewStation::with_defaults(StationCode::parse(code).unwrap(), code, 19.07, 72.87, 1);
    new.service_minutes = 15;
    store
        .create_station(new, audit("station.create"))
        .await
        .unwrap()
}

async fn user(store: &Arc<dyn Store>, tag: &str) -> UserId {
    let u = NewUser {
        id: UserId::new(),
        name: tag.into(),
        email_enc: tag.as_bytes().to_vec(),
        email_hash: format!("email:{tag}").into_bytes(),
        phone_enc: None,
        phone_hash: None,
        password_hash: "x".into(),
        role: Role::Driver,
        created_at: Utc::now(),
    };
    store
        .create_user(u, audit("user.register"))
        .await
        .unwrap()
        .id
}

fn next_slot() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(2)
}

fn booking(user: UserId, station: &Station, slot: DateTime<Utc>) -> NewBooking {
    let now = Utc::now();
    NewBooking {
        id: BookingId::new(),
        user_id: user,
        vehicle_id: None,
        registration: Some("MH12AB1234".into()),
        station_id: station.id,
        slot_start: slot,
        slot_end: slot + Duration::minutes(15),
        walkin_reserve: 0,
        quantity: Quantity::from_centikg(800),
        payment_method: PaymentMethod::AtStation,
        status: BookingStatus::Confirmed,
        amount_paise: None,
        payment_provider: None,
        payment_order_id: None,
        hold_expires_at: None,
        valid_from: slot - Duration::minutes(15),
        valid_until: slot + Duration::minutes(45),
        now,
    }
}

async fn fifty_concurrent_bookings_fill_a_slot_exactly_to_capacity(store: Arc<dyn Store>) {
    let s = station(&store, "MUM-0001", 2).await;
    let slot = next_slot();
    let mut drivers = Vec::new();
    for i in 0..60 {
        drivers.push(user(&store, &format!("d{i}")).await);
    }
    // All 60 start together, so the database (not luck) decides who gets the 7 places.
    let start = Arc::new(tokio::sync::Barrier::new(drivers.len()));
    let mut tasks = Vec::new();
    for driver in drivers {
        let (store, start) = (store.clone(), start.clone());
        let b = booking(driver, &s, slot);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store.create_booking(b, None, audit("booking.create")).await
        }));
    }
    let mut created = 0;
    let mut full = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            CreateBooking::Created(_) => created += 1,
            CreateBooking::SlotFull => full += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((created, full), (7, 53));
    let loads = store
        .slot_loads(s.id, slot, slot + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(loads[0].held, 7);
}

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

fn key(k: &str, body: &[u8]) -> Option<IdempotencyKey> {
    Some(IdempotencyKey {
        key: k.into(),
        request_hash: body.to_vec(),
    })
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
    let seen = store
        .idempotent_booking(late, "k", Utc::now())
        .await
        .unwrap();
    assert!(
        matches!(seen, Some((ref h, FirstAnswer::SlotFull)) if h == b"body"),
        "{seen:?}"
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
    let seen = store.idempotent_booking(driver, "k", at(26)).await.unwrap();
    assert!(
        matches!(&seen, Some((_, FirstAnswer::Booked(b))) if b.id == again.id),
        "{seen:?}"
    );
    assert!(
        store
            .idempotent_booking(driver, "k", at(50))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.prune_idempotency_keys(at(50)).await.unwrap(), 1);
}

async fn cancelling_frees_the_place_once(store: Arc<dyn Store>) {
    let s = one_place_station(&store, "MUM-0004").await;
    let slot = next_slot();
    let a = user(&store, "a").await;
    let CreateBooking::Created(b) = store
        .create_booking(booking(a, &s, slot), None, audit("b"))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(matches!(
        store
            .create_booking(booking(a, &s, slot), None, audit("b"))
            .await
            .unwrap(),
        CreateBooking::SlotFull
    ));
    let cancelled = store
        .cancel_booking(b.id, Utc::now(), audit("booking.cancel"))
        .await
        .unwrap();
    assert_eq!(cancelled.status, BookingStatus::Cancelled);
    let err = store
        .cancel_booking(b.id, Utc::now(), audit("booking.cancel"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)));
    let loads = store
        .slot_loads(s.id, slot, slot + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(loads[0].held, 0);
    assert!(matches!(
        store
            .create_booking(booking(a, &s, slot), None, audit("b"))
            .await
            .unwrap(),
        CreateBooking::Created(_)
    ));
}

async fn lapsed_payment_holds_expire_and_free_their_place(store: Arc<dyn Store>) {
    let s = station(&store, "MUM-0005", 1).await;
    let slot = next_slot();
    let a = user(&store, "payer").await;
    let mut b = booking(a, &s, slot);
    b.payment_method = PaymentMethod::Online;
    b.status = BookingStatus::PendingPayment;
    b.hold_expires_at = Some(Utc::now() + Duration::minutes(10));
    let CreateBooking::Created(held) = store.create_booking(b, None, audit("b")).await.unwrap()
    else {
        panic!()
    };
    assert!(
        store
            .expire_holds(Utc::now(), 100)
            .await
            .unwrap()
            .is_empty(),
        "not lapsed yet"
    );
    let expired = store
        .expire_holds(Utc::now() + Duration::minutes(11), 100)
        .await
        .unwrap();
    assert_eq!(
        expired.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![held.id]
    );
    assert_eq!(
        store.booking(held.id).await.unwrap().unwrap().status,
        BookingStatus::Expired
    );
    assert!(
        store
            .expire_holds(Utc::now() + Duration::minutes(11), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let loads = store
        .slot_loads(s.id, slot, slot + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(loads[0].held, 0);
}

async fn a_second_account_with_the_same_email_is_a_conflict(store: Arc<dyn Store>) {
    user(&store, "dup").await;
    let u = NewUser {
        id: UserId::new(),
        name: "dup".into(),
        email_enc: vec![1],
        email_hash: b"email:dup".to_vec(),
        phone_enc: None,
        phone_hash: None,
        password_hash: "x".into(),
        role: Role::Driver,
        created_at: Utc::now(),
    };
    assert!(matches!(
        store.create_user(u, audit("u")).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn a_reused_refresh_token_revokes_its_family(store: Arc<dyn Store>) {
    let u = user(&store, "refresh").await;
    let now = Utc::now();
    let token = |h: &[u8]| NewRefreshToken {
        token_hash: h.to_vec(),
        family_id: uuid::Uuid::nil(),
        user_id: u,
        issued_at: now,
        expires_at: now + Duration::days(1),
    };
    let rotate = |old: &'static [u8], new: &'static [u8]| {
        let store = store.clone();
        let new = token(new);
        async move {
            store
                .rotate_refresh_token(old, new, now, audit("auth.refresh_reused"))
                .await
                .unwrap()
        }
    };
    store
        .insert_refresh_token(token(b"t1"), audit("auth.login"))
        .await
        .unwrap();
    assert_eq!(rotate(b"t1", b"t2").await, RefreshOutcome::Rotated(u));
    assert_eq!(rotate(b"t1", b"t3").await, RefreshOutcome::Reused);
    assert_eq!(rotate(b"t2", b"t4").await, RefreshOutcome::Invalid);
    assert_eq!(rotate(b"nope", b"t5").await, RefreshOutcome::Invalid);
    // Once more: still refused, but the family was already ended — nothing new to audit.
    assert_eq!(rotate(b"t1", b"t6").await, RefreshOutcome::Reused);
    let filter = |action: &str| AuditFilter {
        action: Some(action.into()),
        limit: 10,
        ..AuditFilter::default()
    };
    let reused = store
        .audit_entries(filter("auth.refresh_reused"))
        .await
        .unwrap();
    assert_eq!(reused.len(), 1, "{reused:?}");
    assert_eq!(reused[0].actor_id, Some(u));
    assert_eq!(reused[0].actor_role.as_deref(), Some("driver"));
    assert_eq!(reused[0].target, format!("user:{u}"));
    assert_eq!(
        store
            .audit_entries(filter("auth.login"))
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn logging_out_ends_the_session_once_and_audits_it(store: Arc<dyn Store>) {
    let u = user(&store, "logout").await;
    let now = Utc::now();
    let t = NewRefreshToken {
        token_hash: b"s1".to_vec(),
        family_id: uuid::Uuid::now_v7(),
        user_id: u,
        issued_at: now,
        expires_at: now + Duration::days(1),
    };
    store
        .insert_refresh_token(t, audit("auth.login"))
        .await
        .unwrap();
    for _ in 0..2 {
        store
            .revoke_refresh_family(b"s1", now, audit("auth.logout"))
            .await
            .unwrap();
    }
    store
        .revoke_refresh_family(b"unknown", now, audit("auth.logout"))
        .await
        .unwrap();
    let next = NewRefreshToken {
        token_hash: b"s2".to_vec(),
        family_id: uuid::Uuid::nil(),
        user_id: u,
        issued_at: now,
        expires_at: now + Duration::days(1),
    };
    assert_eq!(
        store
            .rotate_refresh_token(b"s1", next, now, audit("auth.refresh_reused"))
            .await
            .unwrap(),
        RefreshOutcome::Invalid
    );
    let filter = AuditFilter {
        action: Some("auth.logout".into()),
        limit: 10,
        ..AuditFilter::default()
    };
    let logouts = store.audit_entries(filter).await.unwrap();
    assert_eq!(logouts.len(), 1, "only the logout that ended something");
    assert_eq!(logouts[0].actor_id, Some(u));
}

async fn a_duplicate_station_code_is_a_conflict(store: Arc<dyn Store>) {
    station(&store, "DEL-0001", 2).await;
    let again = NewStation::with_defaults(
        StationCode::parse("DEL-0001").unwrap(),
        "again",
        0.0,
        0.0,
        1,
    );
    assert!(matches!(
        store.create_station(again, audit("s")).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn lowering_lanes_resizes_future_slots(store: Arc<dyn Store>) {
    let mut s = station(&store, "PUN-0001", 2).await;
    let slot = next_slot();
    let a = user(&store, "lanes").await;
    store
        .create_booking(booking(a, &s, slot), None, audit("b"))
        .await
        .unwrap();
    s.lanes = 1;
    let saved = store
        .update_station(&s, s.updated_at, 3, audit("station.update"))
        .await
        .unwrap();
    assert_eq!(saved.lanes, 1);
    // A write based on the old read (someone changed the station since) is refused.
    let stale = store
        .update_station(&s, s.updated_at, 3, audit("station.update"))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let loads = store
        .slot_loads(s.id, slot, slot + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((loads[0].capacity, loads[0].held), (3, 1));
}

async fn a_lane_change_reaches_the_slot_in_progress(store: Arc<dyn Store>) {
    let mut s = station(&store, "PUN-0002", 2).await;
    // Started five minutes ago, ends in ten: still bookable, so still resized.
    let slot = Utc::now() - Duration::minutes(5);
    let a = user(&store, "now").await;
    store
        .create_booking(booking(a, &s, slot), None, audit("b"))
        .await
        .unwrap();
    s.lanes_down = 1;
    store
        .update_station(&s, s.updated_at, 3, audit("station.update"))
        .await
        .unwrap();
    let loads = store
        .slot_loads(s.id, slot, slot + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((loads[0].capacity, loads[0].held), (3, 1));
}

async fn a_first_booking_sizes_its_slot_from_the_station_as_it_is_then(store: Arc<dyn Store>) {
    let mut s = station(&store, "PUN-0003", 2).await;
    let slot = next_slot();
    let a = user(&store, "stale").await;
    // The booking is prepared from this read of the station (2 lanes: 7 places)...
    let prepared = booking(a, &s, slot);
    // ...then a lane goes down before its transaction runs (1 lane: 3 places).
    s.lanes_down = 1;
    store
        .update_station(&s, s.updated_at, 3, audit("station.update"))
        .await
        .unwrap();
    store
        .create_booking(prepared, None, audit("b"))
        .await
        .unwrap();
    let loads = store
        .slot_loads(s.id, slot, slot + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((loads[0].capacity, loads[0].held), (3, 1));
    // With every lane down, the slot has no place at all.
    let mut s = store.station(s.id).await.unwrap().unwrap();
    let later = slot + Duration::minutes(15);
    let prepared = booking(a, &s, later);
    s.lanes_down = 2;
    store
        .update_station(&s, s.updated_at, 0, audit("station.update"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_booking(prepared, None, audit("b"))
            .await
            .unwrap(),
        CreateBooking::SlotFull
    ));
}

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

async fn failed_logins_count_per_account_in_the_window_until_cleared_or_pruned(
    store: Arc<dyn Store>,
) {
    let now = Utc::now();
    let ago = |minutes: i64| now - Duration::minutes(minutes);
    for minutes in [20, 5, 1] {
        store
            .record_login_failure(b"alice", ago(minutes))
            .await
            .unwrap();
    }
    store.record_login_failure(b"bob", ago(1)).await.unwrap();
    let count = |account: &'static [u8], since| {
        let store = store.clone();
        async move { store.login_failures_since(account, since).await.unwrap() }
    };
    assert_eq!(count(b"alice", ago(10)).await, 2, "only the window counts");
    assert_eq!(count(b"alice", ago(30)).await, 3);
    assert_eq!(
        count(b"bob", ago(30)).await,
        1,
        "accounts are counted apart"
    );
    assert_eq!(count(b"carol", ago(30)).await, 0);
    // Pruning forgets old failures only.
    assert_eq!(store.prune_login_failures(ago(10)).await.unwrap(), 1);
    assert_eq!(count(b"alice", ago(30)).await, 2);
    // A successful login clears that account's failures, and no one else's.
    store.clear_login_failures(b"alice").await.unwrap();
    assert_eq!(count(b"alice", ago(30)).await, 0);
    assert_eq!(count(b"bob", ago(30)).await, 1);
}

fn vehicle(owner: UserId, reg: &str, created_at: DateTime<Utc>) -> Vehicle {
    Vehicle {
        id: VehicleId::new(),
        user_id: owner,
        registration: VehicleReg::parse(reg).unwrap(),
        created_at,
    }
}

async fn a_driver_sees_only_their_vehicles_and_cannot_add_one_twice(store: Arc<dyn Store>) {
    let (a, b) = (user(&store, "va").await, user(&store, "vb").await);
    let now = Utc::now();
    let first = store
        .add_vehicle(vehicle(a, "MH12AB1234", now), audit("vehicle.add"))
        .await
        .unwrap();
    store
        .add_vehicle(
            vehicle(a, "MH14CD5678", now + Duration::seconds(1)),
            audit("vehicle.add"),
        )
        .await
        .unwrap();
    // Another driver may register the same plate (a shared or resold car).
    store
        .add_vehicle(vehicle(b, "MH12AB1234", now), audit("vehicle.add"))
        .await
        .unwrap();
    let again = store
        .add_vehicle(vehicle(a, "MH12AB1234", now), audit("vehicle.add"))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let regs = |list: Vec<Vehicle>| {
        list.into_iter()
            .map(|v| v.registration.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        regs(store.vehicles(a).await.unwrap()),
        ["MH12AB1234", "MH14CD5678"],
        "in the order added"
    );
    assert_eq!(regs(store.vehicles(b).await.unwrap()), ["MH12AB1234"]);
    assert_eq!(store.vehicle(first.id).await.unwrap(), Some(first));
    assert_eq!(store.vehicle(VehicleId::new()).await.unwrap(), None);
    let added = store
        .audit_entries(AuditFilter {
            action: Some("vehicle.add".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(added.len(), 3, "the refused duplicate is not audited");
}

async fn signing_keys_list_in_kid_order_and_a_taken_kid_is_a_conflict(store: Arc<dyn Store>) {
    station(&store, "KOL-0001", 1).await;
    let now = Utc::now().duration_trunc(Duration::seconds(1)).unwrap();
    let key = |kid: u8, fill: u8| SigningKeyRecord {
        kid,
        public_key: [fill; 32],
        private_key_enc: vec![fill; 48],
        created_at: now,
        signing_from: now + Duration::hours(i64::from(kid)),
    };
    assert!(store.signing_keys().await.unwrap().is_empty());
    store
        .insert_signing_key(key(2, 0xbb), audit("key.create"))
        .await
        .unwrap();
    store
        .insert_signing_key(key(1, 0xaa), audit("key.create"))
        .await
        .unwrap();
    // Another replica made kid 2 first: refused, and the stored key is untouched.
    let taken = store
        .insert_signing_key(key(2, 0xcc), audit("key.create"))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let keys = store.signing_keys().await.unwrap();
    let seen: Vec<_> = keys
        .iter()
        .map(|k| {
            (
                k.kid,
                k.public_key[0],
                k.private_key_enc.clone(),
                k.signing_from,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, 0xaa, vec![0xaa; 48], now + Duration::hours(1)),
            (2, 0xbb, vec![0xbb; 48], now + Duration::hours(2)),
        ]
    );
    // The station's edges are told to pull the new keys.
    let s = store
        .station_by_code(&StationCode::parse("KOL-0001").unwrap())
        .await
        .unwrap()
        .unwrap();
    let page = store.changes_since(s.id, 0, 100).await.unwrap();
    let key_changes = page
        .entries
        .iter()
        .filter(|(_, kind)| matches!(kind, gasq_cloud::store::ChangeKind::Keys))
        .count();
    assert_eq!(key_changes, 2);
}

async fn confirmed_bookings_past_their_window_become_no_shows_once(store: Arc<dyn Store>) {
    let s = station(&store, "CHN-0001", 2).await;
    let slot = next_slot();
    let d = user(&store, "noshow").await;
    let make = |status: BookingStatus, slot: DateTime<Utc>| {
        let mut b = booking(d, &s, slot);
        b.status = status;
        if status == BookingStatus::PendingPayment {
            b.payment_method = PaymentMethod::Online;
            b.hold_expires_at = Some(slot + Duration::hours(1));
        }
        b
    };
    let mut ids = Vec::new();
    for (status, at) in [
        (BookingStatus::Confirmed, slot),
        (BookingStatus::Confirmed, slot + Duration::minutes(15)),
        (BookingStatus::PendingPayment, slot),
    ] {
        let CreateBooking::Created(b) = store
            .create_booking(make(status, at), None, audit("booking.create"))
            .await
            .unwrap()
        else {
            panic!()
        };
        ids.push(b);
    }
    let (early, later, pending) = (&ids[0], &ids[1], &ids[2]);
    store
        .cancel_booking(pending.id, Utc::now(), audit("booking.cancel"))
        .await
        .unwrap();
    assert!(
        store
            .mark_no_shows(Utc::now(), 100)
            .await
            .unwrap()
            .is_empty(),
        "windows still open"
    );
    // Just after the first window closes: only that booking.
    let after_early = early.valid_until + Duration::seconds(1);
    let marked = store.mark_no_shows(after_early, 100).await.unwrap();
    assert_eq!(marked.iter().map(|b| b.id).collect::<Vec<_>>(), [early.id]);
    assert_eq!(marked[0].status, BookingStatus::NoShow);
    assert!(
        store
            .mark_no_shows(after_early, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Much later: the other confirmed one; the cancelled booking stays cancelled.
    let much_later = later.valid_until + Duration::hours(1);
    let marked = store.mark_no_shows(much_later, 100).await.unwrap();
    assert_eq!(marked.iter().map(|b| b.id).collect::<Vec<_>>(), [later.id]);
    let status = |id| {
        let store = store.clone();
        async move { store.booking(id).await.unwrap().unwrap().status }
    };
    assert_eq!(status(early.id).await, BookingStatus::NoShow);
    assert_eq!(status(later.id).await, BookingStatus::NoShow);
    assert_eq!(status(pending.id).await, BookingStatus::Cancelled);
    let audited = store
        .audit_entries(AuditFilter {
            action: Some("booking.no_show".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let targets: Vec<_> = audited.iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        [
            format!("booking:{}", later.id),
            format!("booking:{}", early.id)
        ]
    );
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

async fn a_vehicle_is_removed_only_by_its_owner_and_not_while_a_booking_of_it_is_live(
    store: Arc<dyn Store>,
) {
    let s = station(&store, "GOA-0001", 2).await;
    let (owner, other) = (user(&store, "owner").await, user(&store, "other").await);
    let v = store
        .add_vehicle(
            vehicle(owner, "GA07XY0001", Utc::now()),
            audit("vehicle.add"),
        )
        .await
        .unwrap();
    let mut held = booking(owner, &s, next_slot());
    held.vehicle_id = Some(v.id);
    held.registration = Some("GA07XY0001".into());
    held.payment_method = PaymentMethod::Online;
    held.status = BookingStatus::PendingPayment;
    held.hold_expires_at = Some(Utc::now() + Duration::minutes(10));
    let CreateBooking::Created(held) = store.create_booking(held, None, audit("b")).await.unwrap()
    else {
        panic!()
    };
    let remove = |who: UserId| {
        let store = store.clone();
        async move {
            store
                .remove_vehicle(who, v.id, audit("vehicle.remove"))
                .await
        }
    };
    assert!(matches!(remove(other).await, Err(StoreError::NotFound(_))));
    let live = remove(owner).await;
    assert!(matches!(live, Err(StoreError::Conflict(_))), "{live:?}");
    store
        .cancel_booking(held.id, Utc::now(), audit("booking.cancel"))
        .await
        .unwrap();
    remove(owner).await.unwrap();
    assert!(matches!(remove(owner).await, Err(StoreError::NotFound(_))));
    assert!(store.vehicles(owner).await.unwrap().is_empty());
    // A booking prepared before the removal cannot refer to the removed vehicle.
    let mut late = booking(owner, &s, next_slot());
    late.vehicle_id = Some(v.id);
    let late = store.create_booking(late, None, audit("b")).await;
    assert!(
        matches!(late, Err(StoreError::NotFound("vehicle"))),
        "{late:?}"
    );
    let past = store.booking(held.id).await.unwrap().unwrap();
    assert_eq!(past.vehicle_id, None);
    assert_eq!(past.registration.as_deref(), Some("GA07XY0001"));
    let removed = store
        .audit_entries(AuditFilter {
            action: Some("vehicle.remove".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        removed.len(),
        1,
        "only the removal that happened is audited"
    );
}
