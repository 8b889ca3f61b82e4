//! The waitlist in the store, on both backends: invariant 1 while offers are out, under
//! racing cancellations.

use std::sync::Arc;

use chrono::{Duration, Utc};
use gasq_cloud::domain::money::CancelledBy;
use gasq_cloud::store::{Accepted, CreateBooking, Joined, Store};
use gasq_shared::VehicleId;

use super::support::*;

crate::on_both_backends!(racing_cancellations_offer_each_freed_place_once_and_never_overbook,);

async fn held(
    store: &Arc<dyn Store>,
    s: &gasq_cloud::domain::Station,
    slot: chrono::DateTime<Utc>,
) -> u32 {
    store
        .slot_loads(s.id, slot, slot + Duration::minutes(1))
        .await
        .unwrap()
        .first()
        .map_or(0, |l| l.held)
}

async fn racing_cancellations_offer_each_freed_place_once_and_never_overbook(
    store: Arc<dyn Store>,
) {
    // Two places a slot: 2 lanes, 15-minute service.
    let mut new = new_station("WAIT-0001", 2);
    new.policy.service_minutes = 15;
    let s = store.create_station(new, audit("s")).await.unwrap();
    let slot = next_slot();
    let mut booked = Vec::new();
    for i in 0..2 {
        let u = user(&store, &format!("holder{i}")).await;
        let CreateBooking::Created(b) = store
            .create_booking(booking(u, &s, slot), None, audit("b"))
            .await
            .unwrap()
        else {
            panic!("not booked")
        };
        booked.push(b);
    }
    let mut waiting = Vec::new();
    for i in 0..3 {
        let u = user(&store, &format!("waiter{i}")).await;
        let car = vehicle(u, &format!("MH12WW{i:04}"), Utc::now());
        store.add_vehicle(car.clone(), audit("v")).await.unwrap();
        let Joined::Waiting { entry, position } = store
            .join_waitlist(s.id, slot, u, car.id, 800, Utc::now())
            .await
            .unwrap()
        else {
            panic!("the slot is full")
        };
        assert_eq!(position, i64::from(i) + 1);
        waiting.push((u, car.id, entry));
    }
    // Both holders cancel at once: each freed place goes to one waiting driver.
    let (a, b) = tokio::join!(
        store.cancel_paid_booking(booked[0].id, Utc::now(), CancelledBy::Driver, audit("c")),
        store.cancel_paid_booking(booked[1].id, Utc::now(), CancelledBy::Driver, audit("c")),
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(held(&store, &s, slot).await, 2, "offered places stay held");
    let statuses = |store: Arc<dyn Store>, ids: Vec<uuid::Uuid>| async move {
        let mut out = Vec::new();
        for id in ids {
            out.push(store.waitlist_entry(id).await.unwrap().unwrap().status);
        }
        out
    };
    let ids: Vec<uuid::Uuid> = waiting.iter().map(|w| w.2.id).collect();
    assert_eq!(
        statuses(store.clone(), ids.clone()).await,
        ["offered", "offered", "waiting"]
    );
    // Nobody else gets in while the offers are out.
    let outsider = user(&store, "outsider").await;
    assert!(matches!(
        store
            .create_booking(booking(outsider, &s, slot), None, audit("b"))
            .await
            .unwrap(),
        CreateBooking::SlotFull
    ));
    // The first takes the place: it becomes a booking without taking another.
    let (u0, car0, entry0) = &waiting[0];
    let mut nb = booking(*u0, &s, slot);
    nb.vehicle_id = Some(*car0);
    let Accepted::Booked(mine) = store.accept_offer(entry0.id, nb, audit("a")).await.unwrap()
    else {
        panic!("the offer was live")
    };
    assert_eq!(mine.status.as_str(), "confirmed");
    assert_eq!(held(&store, &s, slot).await, 2);
    // Taking it twice does nothing.
    let mut again = booking(*u0, &s, slot);
    again.vehicle_id = Some(*car0);
    assert!(matches!(
        store
            .accept_offer(entry0.id, again, audit("a"))
            .await
            .unwrap(),
        Accepted::NoOffer
    ));
    // The second leaves: their place passes to the third.
    assert!(
        store
            .leave_waitlist(waiting[1].2.id, waiting[1].0, Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(
        statuses(store.clone(), ids.clone()).await,
        ["booked", "left", "offered"]
    );
    assert_eq!(held(&store, &s, slot).await, 2);
    // The third lets it lapse: with nobody left waiting, the place is everyone's again.
    let lapsed = store
        .expire_offers(Utc::now() + Duration::minutes(11), 10)
        .await
        .unwrap();
    assert_eq!(lapsed, 1);
    assert_eq!(held(&store, &s, slot).await, 1);
    let _: VehicleId = *car0;
    assert!(matches!(
        store
            .create_booking(booking(outsider, &s, slot), None, audit("b"))
            .await
            .unwrap(),
        CreateBooking::Created(_)
    ));
}
