use super::*;

fn now() -> DateTime<Utc> {
    Utc::now()
}

#[test]
fn newcomers_spread_over_the_lanes_with_the_shortest_wait() {
    let mut q = Queue::new(2, 4);
    let t = now();
    assert_eq!(q.add_walkin(1, None, t), Some(1));
    assert_eq!(q.add_walkin(2, None, t), Some(2));
    assert_eq!(q.add_walkin(3, None, t), Some(1));
}

#[test]
fn bookings_wait_ahead_of_walkins() {
    let mut q = Queue::new(1, 4);
    let t = now();
    q.add_walkin(1, None, t);
    q.add_walkin(2, None, t);
    let b = BookingId::new();
    q.arrive_booking(b, Some("MH12AB1234".into()), None, t);
    let order: Vec<_> = q
        .snapshot(t)
        .waiting
        .iter()
        .map(|e| e.kind.clone())
        .collect();
    assert_eq!(order, ["booking", "walkin", "walkin"]);
    assert_eq!(q.snapshot(t).waiting[0].booking_id, Some(b));
}

#[test]
fn a_driver_stays_at_the_lane_where_they_scanned_unless_another_is_sooner() {
    let mut q = Queue::new(3, 4);
    let t = now();
    // All lanes free: the driver who scanned at lane 3 is not sent to lane 1.
    assert_eq!(
        q.arrive_booking(BookingId::new(), None, Some(3), t),
        Some(3)
    );
    // Lane 3 now has someone ahead; lane 1 is free and sooner.
    assert_eq!(
        q.arrive_booking(BookingId::new(), None, Some(3), t),
        Some(1)
    );
    // A scan at a lane that is down goes to the soonest lane that is up.
    q.set_up(2, false, t).unwrap();
    // (lanes 1 and 3 each have one booking ahead: the tie goes to the lower number).
    assert_eq!(
        q.arrive_booking(BookingId::new(), None, Some(2), t),
        Some(1)
    );
}

#[test]
fn a_booking_counts_only_the_bookings_ahead_of_it() {
    let mut q = Queue::new(2, 4);
    let t = now();
    for ticket in 1..=3 {
        q.add_walkin(ticket, None, t);
    }
    // Three walk-ins wait, but no booking: both lanes are free for a booking.
    assert_eq!(q.arrive_booking(BookingId::new(), None, None, t), Some(1));
    assert_eq!(q.arrive_booking(BookingId::new(), None, None, t), Some(2));
    let kinds: Vec<_> = q
        .snapshot(t)
        .waiting
        .iter()
        .map(|e| e.kind.clone())
        .collect();
    assert_eq!(kinds, ["booking", "booking", "walkin", "walkin", "walkin"]);
}

#[test]
fn a_lane_fault_sends_its_vehicles_elsewhere_and_no_lane_means_no_assignment() {
    let mut q = Queue::new(2, 4);
    let t = now();
    q.add_walkin(1, None, t);
    q.add_walkin(2, None, t);
    q.set_up(2, false, t).unwrap();
    assert!(q.snapshot(t).waiting.iter().all(|e| e.lane == Some(1)));
    q.set_up(1, false, t).unwrap();
    assert!(q.snapshot(t).waiting.iter().all(|e| e.lane.is_none()));
    assert_eq!(q.add_walkin(3, None, t), None);
    q.set_up(2, true, t).unwrap();
    assert!(q.snapshot(t).waiting.iter().all(|e| e.lane == Some(2)));
    assert_eq!(q.counts(), (3, 1));
}

#[test]
fn the_car_at_a_failed_pump_goes_first_elsewhere() {
    let mut q = Queue::new(2, 4);
    let t = now();
    let b = BookingId::new();
    q.arrive_booking(b, None, None, t);
    q.start(1, Some(b), t).unwrap();
    q.add_walkin(1, None, t);
    q.set_up(1, false, t).unwrap();
    let snap = q.snapshot(t);
    assert_eq!(snap.waiting[0].booking_id, Some(b));
    assert_eq!(snap.waiting[0].lane, Some(2));
    assert!(snap.lanes[0].serving.is_none());
}

#[test]
fn start_and_end_move_a_vehicle_through_the_pump() {
    let mut q = Queue::new(1, 4);
    let t = now();
    q.add_walkin(1, None, t);
    q.start(1, None, t).unwrap();
    let lane = q.lane_state(1, t).unwrap();
    assert_eq!(lane.serving.unwrap().ticket, Some(1));
    assert_eq!(lane.waiting, 0);
    assert!((lane.expected_wait_minutes - 4.0).abs() < 0.1);
    q.end(1).unwrap();
    assert!(q.lane_state(1, t).unwrap().serving.is_none());
    assert_eq!(q.start(9, None, t), Err(UnknownLane(9)));
}

#[test]
fn arriving_twice_keeps_the_first_place() {
    let mut q = Queue::new(2, 4);
    let t = now();
    let b = BookingId::new();
    let lane = q.arrive_booking(b, None, None, t);
    assert_eq!(q.arrive_booking(b, None, None, t), lane);
    assert_eq!(q.counts().0, 1);
}

#[test]
fn fewer_lanes_after_a_config_change_reassign_their_vehicles() {
    let mut q = Queue::new(3, 4);
    let t = now();
    for ticket in 1..=3 {
        q.add_walkin(ticket, None, t);
    }
    q.resize(1, 4.0, t);
    assert_eq!(q.lane_count(), 1);
    assert!(q.snapshot(t).waiting.iter().all(|e| e.lane == Some(1)));
}

#[test]
fn vehicles_that_left_long_ago_are_pruned() {
    let mut q = Queue::new(1, 4);
    let t = now();
    q.add_walkin(1, None, t - chrono::Duration::hours(3));
    q.add_walkin(2, None, t);
    assert_eq!(q.prune(t, 120), 1);
    assert_eq!(q.counts().0, 1);
}
