//! `demo-traffic`: bookings whose e-tokens the simulated lanes scan, made through the
//! same booking use case as the API's.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use gasq_shared::VehicleId;

use super::{ACCOUNTS, DemoError, STATION_CODE};
use crate::app::bookings::{self, BookingError, BookingRequest};
use crate::app::{App, accounts, stations, tokens, vehicles};
use crate::domain::{Actor, BookingStatus, PaymentMethod, Role, Station, Vehicle, slots};

/// Demo vehicles at most (`MH02DM0000`, `MH02DM0001`, …): the bookings in flight at
/// once, since a vehicle gets a new booking only when its last one was used.
pub const DEMO_FLEET: usize = 40;
const DEMO_PLATE: &str = "MH02DM";

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
}

/// Books up to `count` confirmed demo bookings (paid at the station) for the demo
/// driver and returns their e-tokens — the lanes of `gasq-bridge simulate` scan these.
///
/// By default only slots whose tokens are valid now (from slot start less the early
/// grace to slot end plus the late grace), earliest first, for demo vehicles with no
/// live booking: every token is accepted when scanned, and calling it again later books
/// the places that opened since. With `later_slots` (load tests), it books from the
/// slot running now onwards regardless — later slots' tokens are refused as not yet
/// valid — and reuses the demo vehicles in turn.
pub async fn traffic(app: &App, request: TrafficRequest) -> Result<Traffic, DemoError> {
    let (station, driver) = demo_station_and_driver(app).await?;
    let now = Utc::now();
    let earlier = if request.resume {
        unused_tokens(app, &driver, &station, now).await?
    } else {
        Vec::new()
    };
    let count = request.count;
    let mut traffic = if request.later_slots {
        let vehicles = demo_vehicles(app, &driver, count.clamp(1, DEMO_FLEET)).await?;
        let starts = slots_from(&station, now, |_| true);
        book_in_turn(app, &driver, &station, &vehicles, &starts, count).await?
    } else {
        let vehicles = free_demo_vehicles(app, &driver, count).await?;
        let valid_now = |start| slots::validity_window(&station.policy, start).0 <= now;
        let starts = slots_from(&station, now, valid_now);
        let fewer = count.min(vehicles.len());
        let mut traffic = book_in_turn(app, &driver, &station, &vehicles, &starts, fewer).await?;
        if traffic.short.is_none() && traffic.tokens.len() < count {
            traffic.short = Some(Shortfall::NoVehicleFree);
        }
        traffic
    };
    traffic.earlier = earlier;
    Ok(traffic)
}

/// The e-tokens of the demo vehicles' bookings at `station` that are confirmed (not
/// used yet) and valid at `now` — not those the demo driver made by hand.
async fn unused_tokens(
    app: &App,
    driver: &Actor,
    station: &Station,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DemoError> {
    let mut issued = Vec::new();
    for b in bookings::mine(app, driver).await? {
        let demo_vehicle = b
            .registration
            .as_deref()
            .is_some_and(|r| r.starts_with(DEMO_PLATE));
        let unused = b.status == BookingStatus::Confirmed
            && b.station_id == station.id
            && demo_vehicle
            && (b.valid_from..=b.valid_until).contains(&now);
        if unused {
            issued.push(tokens::issue(app, &b).await?);
        }
    }
    issued.reverse(); // earliest slot first
    Ok(issued)
}

/// The demo station and the demo driver, or `NotSeeded`.
async fn demo_station_and_driver(app: &App) -> Result<(Station, Actor), DemoError> {
    let station = stations::find(app, STATION_CODE)
        .await
        .map_err(|_| DemoError::NotSeeded)?;
    let id = accounts::find_by_email(app, ACCOUNTS[0].1)
        .await?
        .ok_or(DemoError::NotSeeded)?;
    let driver = Actor {
        id,
        role: Role::Driver,
        ip: None,
    };
    Ok((station, driver))
}

/// The demo driver's demo vehicles, adding some until there are `at_least` (at most
/// [`DEMO_FLEET`]).
async fn demo_vehicles(
    app: &App,
    driver: &Actor,
    at_least: usize,
) -> Result<Vec<Vehicle>, DemoError> {
    let mut fleet: Vec<Vehicle> = vehicles::list(app, driver)
        .await?
        .into_iter()
        .filter(|v| v.registration.as_str().starts_with(DEMO_PLATE))
        .collect();
    for n in fleet.len()..at_least.min(DEMO_FLEET) {
        fleet.push(vehicles::add(app, driver, &format!("{DEMO_PLATE}{n:04}")).await?);
    }
    Ok(fleet)
}

/// Up to `wanted` demo vehicles with no live booking (adding vehicles while the fleet
/// is below [`DEMO_FLEET`]).
async fn free_demo_vehicles(
    app: &App,
    driver: &Actor,
    wanted: usize,
) -> Result<Vec<Vehicle>, DemoError> {
    // Live bookings hold slots that have not ended: they are among the driver's latest.
    let busy: HashSet<VehicleId> = bookings::mine(app, driver)
        .await?
        .into_iter()
        .filter(|b| b.status.is_live())
        .filter_map(|b| b.vehicle_id)
        .collect();
    let all = demo_vehicles(app, driver, 0).await?;
    let missing = wanted.saturating_sub(all.iter().filter(|v| !busy.contains(&v.id)).count());
    let all = demo_vehicles(app, driver, all.len() + missing).await?;
    Ok(all
        .into_iter()
        .filter(|v| !busy.contains(&v.id))
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
/// place left; stops early (saying why) when the slots are full.
async fn book_in_turn(
    app: &App,
    driver: &Actor,
    station: &Station,
    vehicles: &[Vehicle],
    starts: &[DateTime<Utc>],
    count: usize,
) -> Result<Traffic, DemoError> {
    let mut issued = Vec::with_capacity(count);
    let mut starts = starts.iter();
    let mut slot = starts.next();
    while issued.len() < count && !vehicles.is_empty() {
        let Some(&start) = slot else {
            return Ok(Traffic {
                tokens: issued,
                earlier: Vec::new(),
                short: Some(Shortfall::StationFull),
            });
        };
        let n = issued.len();
        let request = BookingRequest {
            station_id: station.id,
            vehicle_id: vehicles[n % vehicles.len()].id,
            slot_start: start,
            quantity_kg: Some(4.0 + (n % 9) as f64),
            payment_method: PaymentMethod::AtStation,
        };
        match bookings::book(app, driver, request, None).await {
            Ok(booked) => issued.push(tokens::issue(app, &booked.booking).await?),
            Err(BookingError::SlotFull { .. }) => slot = starts.next(),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Traffic {
        tokens: issued,
        earlier: Vec::new(),
        short: None,
    })
}
