//! Stations: unique codes, and lane changes re-sizing open slots.

use std::sync::Arc;

use chrono::{Duration, Utc};
use gasq_cloud::store::{Store, StoreError};

use super::support::*;

crate::on_both_backends!(
    a_duplicate_station_code_is_a_conflict,
    lowering_lanes_resizes_future_slots,
    a_lane_change_reaches_the_slot_in_progress,
);

async fn a_duplicate_station_code_is_a_conflict(store: Arc<dyn Store>) {
    station(&store, "DEL-0001", 2).await;
    let again = new_station("DEL-0001", 1);
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
    s.policy.lanes = 1;
    let saved = store
        .update_station(&s, s.updated_at, audit("station.update"))
        .await
        .unwrap();
    assert_eq!(saved.policy.lanes, 1);
    // A write based on the old read (someone changed the station since) is refused.
    let stale = store
        .update_station(&s, s.updated_at, audit("station.update"))
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
        .update_station(&s, s.updated_at, audit("station.update"))
        .await
        .unwrap();
    let loads = store
        .slot_loads(s.id, slot, slot + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!((loads[0].capacity, loads[0].held), (3, 1));
}
