//! `demo-traffic`: bookings whose e-tokens the simulated lanes scan, made through the
//! same booking use case as the API's, for the demo fleet (`fleet.rs`) — so within the
//! same booking limits as any driver.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use gasq_shared::VehicleId;

use super::fleet::{self, DEMO_PLATE, FleetVehicle};
use super::{DemoError, STATION_CODE};
use crate::app::bookings::{self, BookingError, BookingRequest};
use crate::app::{App, stations, tokens};
use crate::domain::{BookingStatus, PaymentMethod, Station, slots};

/// Demo vehicles of the living demo: the bookings in flight at once, since a vehicle
/// gets a new booking only when its last one was used.
pub const DEMO_FLEET: usize = 40;
/// With `later_slots`, a vehicle for about this many bookings: one tank holds one
/// booking an hour, so a load test's thousands of tokens need hundreds of vehicles.
const LOAD_BOOKINGS_PER_VEHICLE: usize = 8;
const LOAD_FLEET_MAX: usize = 2000;

/// What [`traffic`] is asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrafficRequest {
    /// Bookings to make, at most.
    pub count: usize,
    /// Also book later slots, whose tokens are not valid yet, reusing vehicles (load
    /// tests).
    pub later_slots: bool,
    /// Also return the e-tokens of earlier demo bookings that are valid now and not
    /// used yet (a demo starting again: its last run's bookings are still live).
    pub resume: bool,
}

/// What [`traffic`] booked.
#[derive(Debug, Clone)]
pub struct Traffic {
    /// The e-tokens of the bookings just made.
    pub tokens: Vec<String>,
    /// With `resume`: the e-tokens of earlier bookings, valid now and not used yet.
    pub earlier: Vec<String>,
    /// Why fewer than asked were booked, if so.
    pub short: Option<Shortfall>,
}

/// Why [`traffic`] booked fewer than asked — not an error: the demo books again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Shortfall {
    #[error("all {DEMO_FLEET} demo vehicles have a live booking; they free up when scanned")]
    NoVehicleFree,
    #[error(
        "every slot whose e-tokens are valid now is full; places open as slots come into their window"
    )]
    StationFull,
    #[error(
        "the demo fleet's drivers are at their booking limits (bookings.max_per_driver_per_hour, \
         bookings.max_live_per_driver); they free with time"
    )]
    Limits,
}

/// Books up to `count` confirmed demo bookings (paid at the station) for the demo
/// fleet and returns their e-tokens — the lanes of `gasq-bridge simulate` scan these.
///
/// By default only slots whose tokens are valid now (from slot start less the early
/// grace to slot end plus the late grace), earliest first, for demo vehicles with no
/// live booking: every token is accepted when scanned, and calling it again later books
/// the places that opened since. With `later_slots` (load tests), it books from the
/// slot running now onwards regardless — later slots' tokens are refused as not yet
/// valid — with a fleet sized to `count` (a vehicle books once an hour); load tests
/// raise `bookings.max_live_per_driver` and `bookings.max_per_driver_per_hour`.
pub async fn traffic(app: &App, request: TrafficRequest) -> Result<Traffic, DemoError> {
    let station = stations::find(app, STATION_CODE)
        .await
        .map_err(|_| DemoError::NotSeeded)?;
    let now = Utc::now();
    let earlier = if request.resume {
        unused_tokens(app, &station, now).await?
    } else {
        Vec::new()
    };
    let count = request.count;
    let mut traffic = if request.later_slots {
        let size = count.div_ceil(LOAD_BOOKINGS_PER_VEHICLE);
        let vehicles = fleet::fleet(app, size.clamp(1, LOAD_FLEET_MAX)).await?;
        let starts = slots_from(&station, now, |_| true);
        book_in_turn(app, &station, &vehicles, &starts, count).await?
    } else {
        let vehicles = free_demo_vehicles(app, count).await?;
        let valid_now = |start| slots::validity_window(&station.policy, start).0 <= now;
        let starts = slots_from(&station, now, valid_now);
        let fewer = count.min(vehicles.len());
        let mut traffic = book_in_turn(app, &station, &vehicles, &starts, fewer).await?;
        if traffic.short.is_none() && traffic.tokens.len() < count {
            traffic.short = Some(Shortfall::NoVehicleFree);
        }
        traffic
    };
    traffic.earlier = earlier;
    Ok(traffic)
}

/// The e-tokens of the demo fleet's bookings at `station` that are confirmed (not used
/// yet) and valid at `now`.
async fn unused_tokens(
    app: &App,
    station: &Station,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DemoError> {
    let mut unused = Vec::new();
    for driver in fleet::existing_drivers(app).await? {
        for b in bookings::mine(app, &driver).await? {
            let demo_vehicle = b
                .registration
                .as_deref()
                .is_some_and(|r| r.starts_with(DEMO_PLATE));
            if b.status == BookingStatus::Confirmed
                && b.station_id == station.id
                && demo_vehicle
                && (b.valid_from..=b.valid_until).contains(&now)
            {
                unused.push(b);
            }
        }
    }
    unused.sort_by_key(|b| b.slot_start); // earliest slot first
    let mut issued = Vec::with_capacity(unused.len());
    for b in &unused {
        issued.push(tokens::issue(app, b).await?);
    }
    Ok(issued)
}

/// Up to `wanted` of the [`DEMO_FLEET`] demo vehicles with no live booking.
async fn free_demo_vehicles(app: &App, wanted: usize) -> Result<Vec<FleetVehicle>, DemoError> {
    let all = fleet::fleet(app, DEMO_FLEET).await?;
    let mut busy: HashSet<VehicleId> = HashSet::new();
    let mut seen = HashSet::new();
    for v in &all {
        // Live bookings hold slots that have not ended: they are among a driver's latest.
        if seen.insert(v.driver.id) {
            busy.extend(
                bookings::mine(app, &v.driver)
                    .await?
                    .into_iter()
                    .filter(|b| b.status.is_live())
                    .filter_map(|b| b.vehicle_id),
            );
        }
    }
    Ok(all
        .into_iter()
        .filter(|v| !busy.contains(&v.vehicle.id))
        .take(wanted)
        .collect())
}

/// Bookable slot starts of today and tomorrow (station time) that have not ended and
/// pass `keep`, earliest first.
fn slots_from(
    station: &Station,
    now: DateTime<Utc>,
    keep: impl Fn(DateTime<Utc>) -> bool,
) -> Vec<DateTime<Utc>> {
    let policy = &station.policy;
    let today = slots::local_date(policy, now);
    [today, today + Duration::days(1)]
        .into_iter()
        .flat_map(|d| slots::slot_starts(policy, d))
        .filter(|s| slots::slot_end(policy, *s) > now && keep(*s))
        .collect()
}

/// Books `count` bookings, vehicles in turn, each in the earliest of `starts` with a
/// place left. A vehicle a booking limit refuses is passed over; when the limits refuse
/// the whole fleet a slot, the next slot is tried. Stops early, saying why, when the
/// slots run out.
async fn book_in_turn(
    app: &App,
    station: &Station,
    vehicles: &[FleetVehicle],
    starts: &[DateTime<Utc>],
    count: usize,
) -> Result<Traffic, DemoError> {
    let mut issued = Vec::with_capacity(count);
    let mut starts = starts.iter();
    let mut slot = starts.next();
    let (mut turn, mut refused_in_a_row, mut limited) = (0usize, 0usize, false);
    while issued.len() < count && !vehicles.is_empty() {
        let Some(&start) = slot else {
            let short = if limited {
                Shortfall::Limits
            } else {
                Shortfall::StationFull
            };
            return Ok(Traffic {
                tokens: issued,
                earlier: Vec::new(),
                short: Some(short),
            });
        };
        let v = &vehicles[turn % vehicles.len()];
        let request = BookingRequest {
            station_id: station.id,
            vehicle_id: v.vehicle.id,
            slot_start: start,
            quantity_kg: Some(4.0 + (issued.len() % 9) as f64),
            payment_method: PaymentMethod::AtStation,
        };
        match bookings::book(app, &v.driver, request, None).await {
            Ok(booked) => {
                issued.push(tokens::issue(app, &booked.booking).await?);
                (turn, refused_in_a_row) = (turn + 1, 0);
            }
            Err(BookingError::SlotFull { .. }) => (slot, refused_in_a_row) = (starts.next(), 0),
            Err(BookingError::Limit(_)) => {
                (turn, refused_in_a_row, limited) = (turn + 1, refused_in_a_row + 1, true);
                if refused_in_a_row >= vehicles.len() {
                    (slot, refused_in_a_row) = (starts.next(), 0);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Traffic {
        tokens: issued,
        earlier: Vec::new(),
        short: None,
    })
}
