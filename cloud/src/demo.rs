//! `serve --demo`: a demo station and one account per role, so a first-time user can
//! log in and book within a minute; and `demo-traffic`: bookings whose e-tokens the
//! simulated lanes of `scripts/demo` scan. Safe to run again: what exists is kept (the
//! demo station gets the demo policy, below, if it was made without it).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use gasq_shared::{Phone, StationCode, VehicleId, VehicleReg};

use crate::api::auth::create_account;
use crate::api::bookings::{CreateBookingRequest, book};
use crate::auth::CurrentUser;
use crate::domain::{AuditEntry, BookingStatus, PaymentMethod, Role, Station, Vehicle, slots};
use crate::error::ApiError;
use crate::secret::Secret;
use crate::state::AppState;
use crate::store::{CreateBooking, NewStation, StoreError};

/// The demo accounts: (role, e-mail, phone, password). For demos only.
pub const ACCOUNTS: [(Role, &str, &str, &str); 3] = [
    (
        Role::Driver,
        "driver@demo.gasq.in",
        "+919800000001",
        "demo-driver-pass",
    ),
    (
        Role::StationAdmin,
        "admin@demo.gasq.in",
        "+919800000002",
        "demo-admin-pass",
    ),
    (
        Role::SuperAdmin,
        "super@demo.gasq.in",
        "+919800000003",
        "demo-super-pass",
    ),
];

pub const STATION_CODE: &str = "MUM-0042";

/// The demo station's policy, tuned to the lanes `scripts/demo` simulates
/// (`gasq-bridge simulate --speed 3.5`), so that what it books is what its lanes fuel.
/// A simulated fill takes 2–3 minutes and the next car 30–60 s to move up: at 3.5×
/// speed, about 56 real seconds a car per lane, so a vehicle takes a lane about a
/// minute (service 1 minute, not the default 4) and a slot's capacity — lanes × slot
/// minutes / service minutes = 4 × 15 / 1 = 60 — is what the four lanes get through.
/// `demo-traffic` books only slots whose e-tokens are valid now; an early grace of 60
/// minutes (default 15) makes the next four slots valid now as well, a reserve of
/// places for when the lanes run a little ahead of the clock.
const DEMO_SERVICE_MINUTES: u16 = 1;
const DEMO_EARLY_GRACE_MINUTES: u16 = 60;

/// Seeds the demo data and returns the lines that tell the user how to log in.
pub async fn seed(state: &AppState) -> Result<Vec<String>, ApiError> {
    let station = demo_station(state).await?;
    for (role, email, phone, password) in ACCOUNTS {
        let hash = state.crypto.lookup_hash(email);
        let id = match state.store.user_by_lookup(&hash).await? {
            Some(u) => u.id,
            None => {
                let phone = Phone::parse(phone).map_err(ApiError::internal)?;
                let name = format!("Demo {}", role.as_str().replace('_', " "));
                let password = Secret::new(password);
                create_account(state, &name, email, Some(&phone), password, role, None).await?
            }
        };
        if role == Role::StationAdmin {
            let audit = AuditEntry {
                action: "station.assign_staff".into(),
                target: format!("station:{}", station.id),
                ..AuditEntry::default()
            };
            state.store.assign_station(id, station.id, audit).await?;
        }
    }
    let mut lines = vec![
        format!(
            "Demo station {} (id {}): {} lanes, open 24 hours.",
            station.code, station.id, station.lanes
        ),
        "Demo accounts (for demos only — never use these in production):".to_owned(),
    ];
    for (role, email, _, password) in ACCOUNTS {
        lines.push(format!(
            "  {:<14} login {email:<22} password {password}",
            role.as_str()
        ));
    }
    Ok(lines)
}

/// The demo station with the demo policy: made if missing, updated if made before.
async fn demo_station(state: &AppState) -> Result<Station, ApiError> {
    let code = StationCode::parse(STATION_CODE).map_err(ApiError::internal)?;
    if let Some(station) = state.store.station_by_code(&code).await? {
        return demo_policy(state, station).await;
    }
    let mut new =
        NewStation::with_defaults(code, "GasQ Demo CNG, Andheri East", 19.1136, 72.8697, 4);
    new.service_minutes = DEMO_SERVICE_MINUTES;
    new.early_grace_minutes = DEMO_EARLY_GRACE_MINUTES;
    let audit = AuditEntry {
        action: "station.create".into(),
        detail: serde_json::json!({"demo": true}),
        ..AuditEntry::default()
    };
    Ok(state.store.create_station(new, audit).await?)
}

/// Puts the demo policy on a demo station made before it existed (an old data dir).
async fn demo_policy(state: &AppState, mut station: Station) -> Result<Station, ApiError> {
    // The edge (a lane fault) may change the station meanwhile: re-read and retry.
    for _ in 0..3 {
        if station.service_minutes == DEMO_SERVICE_MINUTES
            && station.early_grace_minutes == DEMO_EARLY_GRACE_MINUTES
        {
            return Ok(station);
        }
        let read_at = station.updated_at;
        station.service_minutes = DEMO_SERVICE_MINUTES;
        station.early_grace_minutes = DEMO_EARLY_GRACE_MINUTES;
        let audit = AuditEntry {
            action: "station.update".into(),
            target: format!("station:{}", station.id),
            detail: serde_json::json!({"demo": true, "service_minutes": DEMO_SERVICE_MINUTES,
                "early_grace_minutes": DEMO_EARLY_GRACE_MINUTES}),
            ..AuditEntry::default()
        };
        let capacity = slots::capacity(&station, 0);
        match state
            .store
            .update_station(&station, read_at, capacity, audit)
            .await
        {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict(_)) => {
                station = state.store.station(station.id).await?.ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("the demo station vanished"))
                })?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "the demo station kept changing; start again"
    )))
}

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
/// Every booking goes through the same rules as the API.
///
/// By default only slots whose tokens are valid now (from slot start less the early
/// grace to slot end plus the late grace), earliest first, for demo vehicles with no
/// live booking: every token is accepted when scanned, and calling it again later books
/// the places that opened since. With `later_slots` (load tests), it books from the
/// slot running now onwards regardless — later slots' tokens are refused as not yet
/// valid — and reuses the demo vehicles in turn.
pub async fn traffic(state: &AppState, request: TrafficRequest) -> Result<Traffic, ApiError> {
    let (station, driver) = demo_station_and_driver(state).await?;
    let now = Utc::now();
    let earlier = if request.resume {
        unused_tokens(state, &driver, &station, now).await?
    } else {
        Vec::new()
    };
    let count = request.count;
    let mut traffic = if request.later_slots {
        let vehicles = demo_vehicles(state, &driver, count.clamp(1, DEMO_FLEET)).await?;
        let starts = slots_from(&station, now, |_| true);
        book_in_turn(state, &driver, &station, &vehicles, &starts, count).await?
    } else {
        let vehicles = free_demo_vehicles(state, &driver, count).await?;
        let valid_now = |start| slots::validity_window(&station, start).0 <= now;
        let starts = slots_from(&station, now, valid_now);
        let fewer = count.min(vehicles.len());
        let mut traffic = book_in_turn(state, &driver, &station, &vehicles, &starts, fewer).await?;
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
    state: &AppState,
    driver: &CurrentUser,
    station: &Station,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ApiError> {
    let mut tokens = Vec::new();
    for b in state.store.bookings_for_user(driver.id, 1000).await? {
        let demo_vehicle = b
            .registration
            .as_deref()
            .is_some_and(|r| r.starts_with(DEMO_PLATE));
        let unused = b.status == BookingStatus::Confirmed
            && b.station_id == station.id
            && demo_vehicle
            && (b.valid_from..=b.valid_until).contains(&now);
        if unused {
            tokens.push(crate::api::tokens::issue(state, &b).await?);
        }
    }
    tokens.reverse(); // earliest slot first
    Ok(tokens)
}

/// The demo station and the demo driver, or a 409 saying to seed the demo first.
async fn demo_station_and_driver(state: &AppState) -> Result<(Station, CurrentUser), ApiError> {
    let missing = || {
        ApiError::conflict(
            "no_demo",
            "no demo data: run `gasq-cloud serve --demo` once first",
        )
    };
    let code = StationCode::parse(STATION_CODE).map_err(ApiError::internal)?;
    let station = state
        .store
        .station_by_code(&code)
        .await?
        .ok_or_else(missing)?;
    let record = state
        .store
        .user_by_lookup(&state.crypto.lookup_hash(ACCOUNTS[0].1))
        .await?
        .ok_or_else(missing)?;
    let driver = CurrentUser {
        id: record.id,
        role: Role::Driver,
        ip: None,
    };
    Ok((station, driver))
}

/// The demo driver's demo vehicles, adding some until there are `at_least` (at most
/// [`DEMO_FLEET`]).
async fn demo_vehicles(
    state: &AppState,
    driver: &CurrentUser,
    at_least: usize,
) -> Result<Vec<Vehicle>, ApiError> {
    let mut vehicles: Vec<Vehicle> = state
        .store
        .vehicles(driver.id)
        .await?
        .into_iter()
        .filter(|v| v.registration.as_str().starts_with(DEMO_PLATE))
        .collect();
    for n in vehicles.len()..at_least.min(DEMO_FLEET) {
        let registration =
            VehicleReg::parse(&format!("{DEMO_PLATE}{n:04}")).map_err(ApiError::internal)?;
        let vehicle = Vehicle {
            id: VehicleId::new(),
            user_id: driver.id,
            registration,
            created_at: Utc::now(),
        };
        let audit = AuditEntry {
            action: "vehicle.add".into(),
            target: format!("vehicle:{}", vehicle.id),
            ..AuditEntry::default()
        };
        vehicles.push(state.store.add_vehicle(vehicle, audit).await?);
    }
    Ok(vehicles)
}

/// Up to `wanted` demo vehicles with no live booking (adding vehicles while the fleet
/// is below [`DEMO_FLEET`]).
async fn free_demo_vehicles(
    state: &AppState,
    driver: &CurrentUser,
    wanted: usize,
) -> Result<Vec<Vehicle>, ApiError> {
    // Live bookings hold slots that have not ended: they are the driver's latest.
    let busy: HashSet<VehicleId> = state
        .store
        .bookings_for_user(driver.id, 1000)
        .await?
        .into_iter()
        .filter(|b| b.status.is_live())
        .filter_map(|b| b.vehicle_id)
        .collect();
    let all = demo_vehicles(state, driver, 0).await?;
    let missing = wanted.saturating_sub(all.iter().filter(|v| !busy.contains(&v.id)).count());
    let all = demo_vehicles(state, driver, all.len() + missing).await?;
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
    let today = slots::local_date(station, now);
    [today, today + Duration::days(1)]
        .into_iter()
        .flat_map(|d| slots::slot_starts(station, d))
        .filter(|s| slots::slot_end(station, *s) > now && keep(*s))
        .collect()
}

/// Books `count` bookings, vehicles in turn, each in the earliest of `starts` with a
/// place left; stops early (saying why) when the slots are full.
async fn book_in_turn(
    state: &AppState,
    driver: &CurrentUser,
    station: &Station,
    vehicles: &[Vehicle],
    starts: &[DateTime<Utc>],
    count: usize,
) -> Result<Traffic, ApiError> {
    let mut tokens = Vec::with_capacity(count);
    let mut starts = starts.iter();
    let mut slot = starts.next();
    while tokens.len() < count && !vehicles.is_empty() {
        let Some(&start) = slot else {
            return Ok(Traffic {
                tokens,
                earlier: Vec::new(),
                short: Some(Shortfall::StationFull),
            });
        };
        let n = tokens.len();
        let req = CreateBookingRequest {
            station_id: station.id,
            vehicle_id: vehicles[n % vehicles.len()].id,
            slot_start: start,
            quantity_kg: Some(4.0 + (n % 9) as f64),
            payment_method: PaymentMethod::AtStation,
        };
        match book(state, driver, req, None).await? {
            CreateBooking::Created(b) | CreateBooking::Replayed(b) => {
                tokens.push(crate::api::tokens::issue(state, &b).await?);
            }
            CreateBooking::SlotFull
            | CreateBooking::ReplayedSlotFull
            | CreateBooking::KeyReused => slot = starts.next(),
        }
    }
    Ok(Traffic {
        tokens,
        earlier: Vec::new(),
        short: None,
    })
}
