//! Bookings: invariant 1 (docs/architecture.md) under concurrency, cancellation, lapsed holds,
//! no-shows, and slots sized from the station as it is.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gasq_cloud::domain::limits::{LimitHit, Limits};
use gasq_cloud::domain::{BookingStatus, PaymentMethod};
use gasq_cloud::store::{AuditFilter, CreateBooking, Store, StoreError};

use super::support::*;

crate::on_both_backends!(
    fifty_concurrent_bookings_fill_a_slot_exactly_to_capacity,
    cancelling_frees_the_place_once,
    lapsed_payment_holds_expire_and_free_their_place,
    confirmed_bookings_past_their_window_become_no_shows_once,
    a_first_booking_sizes_its_slot_from_the_station_as_it_is_then,
    thirty_concurrent_bookings_of_one_vehicle_and_driver_keep_the_limits,
);

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

async fn a_first_booking_sizes_its_slot_from_the_station_as_it_is_then(store: Arc<dyn Store>) {
    let mut s = station(&store, "PUN-0003", 2).await;
    let slot = next_slot();
    let a = user(&store, "stale").await;
    // The booking is prepared from this read of the station (2 lanes: 7 places)...
    let prepared = booking(a, &s, slot);
    // ...then a lane goes down before its transaction runs (1 lane: 3 places).
    s.lanes_down = 1;
    store
        .update_station(&s, s.updated_at, audit("station.update"))
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
        .update_station(&s, s.updated_at, audit("station.update"))
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

/// "No hogging" (docs/architecture.md) under concurrency: thirty bookings at once, of
/// one plate by two drivers within one hour, and of many plates by one driver, in
/// separate slots with room to spare. The limits, not the slots, decide.
async fn thirty_concurrent_bookings_of_one_vehicle_and_driver_keep_the_limits(
    store: Arc<dyn Store>,
) {
    let s = station(&store, "MUM-0001", 8).await;
    let slot = next_slot();
    let (a, b, c) = (
        user(&store, "a").await,
        user(&store, "b").await,
        user(&store, "c").await,
    );
    let limits = Limits {
        max_live: 4,
        per_hour: 100,
    };
    let start = Arc::new(tokio::sync::Barrier::new(30));
    let mut tasks = Vec::new();
    for i in 0..30i64 {
        let mut nb = match i % 3 {
            // a and b book the same plate, 0 to 45 minutes apart.
            0 | 1 => {
                let mut nb = booking(if i % 3 == 0 { a } else { b }, &s, slot);
                nb.slot_start = slot + Duration::minutes(15 * (i % 4));
                nb.registration = Some("MH12AB1234".into());
                nb
            }
            // c books ten vehicles of its own.
            _ => booking(c, &s, slot + Duration::hours(2 + i)),
        };
        nb.limits = limits;
        let (store, start) = (store.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let who = nb.user_id;
            (
                who,
                store
                    .create_booking(nb, None, audit("booking.create"))
                    .await,
            )
        }));
    }
    let (mut plate, mut of_c) = (0, 0);
    for t in tasks {
        let (who, outcome) = t.await.unwrap();
        match outcome.unwrap() {
            CreateBooking::Created(_) if who == c => of_c += 1,
            CreateBooking::Created(_) => plate += 1,
            CreateBooking::Limited(LimitHit::Vehicle { .. }) if who != c => {}
            CreateBooking::Limited(LimitHit::Driver {
                live: 4, max: 4, ..
            }) if who == c => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((plate, of_c), (1, 4));
}
