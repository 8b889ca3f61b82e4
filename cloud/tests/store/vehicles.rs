//! Drivers' vehicles: per-driver lists, duplicates, removal.

use std::sync::Arc;

use chrono::{Duration, Utc};
use gasq_cloud::domain::{BookingStatus, PaymentMethod, Vehicle};
use gasq_cloud::store::{AuditFilter, CreateBooking, Store, StoreError};
use gasq_shared::{UserId, VehicleId};

use super::support::*;

crate::on_both_backends!(
    a_driver_sees_only_their_vehicles_and_cannot_add_one_twice,
    a_vehicle_is_removed_only_by_its_owner_and_not_while_a_booking_of_it_is_live,
);

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
