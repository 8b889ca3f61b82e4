//! `serve --demo`: a demo station and one account per role, so a first-time user can
//! log in and book within a minute. Safe to run again: what exists is kept.

use gasq_shared::policy::PolicyChanges;

use crate::app::App;
use crate::app::accounts::{self, AccountError, NewAccount};
use crate::app::bookings::{self, BookingError, BookingRequest};
use crate::app::stations::{self, StationChanges, StationError, StationRequest};
use crate::app::tokens::{self, TokenError};
use crate::app::vehicles::{self, VehicleError};
use crate::domain::{Actor, Role};
use crate::secret::Secret;

/// Why the demo could not be seeded or booked.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("no demo data: run `gasq-cloud serve --demo` once first")]
    NotSeeded,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Station(#[from] StationError),
    #[error(transparent)]
    Vehicle(#[from] VehicleError),
    #[error(transparent)]
    Booking(#[from] BookingError),
    #[error(transparent)]
    Token(#[from] TokenError),
}

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

/// The demo station, made once.
async fn demo_station(app: &App) -> Result<crate::domain::Station, DemoError> {
    match stations::find(app, STATION_CODE).await {
        Ok(s) => return Ok(s),
        Err(StationError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let request = StationRequest {
        code: STATION_CODE.into(),
        lat: 19.1136,
        lon: 72.8697,
        settings: StationChanges {
            name: Some("GasQ Demo CNG, Andheri East".into()),
            policy: PolicyChanges {
                lanes: Some(4),
                ..PolicyChanges::default()
            },
            ..StationChanges::default()
        },
    };
    Ok(stations::create(app, None, request).await?)
}

/// Seeds the demo data and returns the lines that tell the user how to log in.
pub async fn seed(app: &App) -> Result<Vec<String>, DemoError> {
    let station = demo_station(app).await?;
    for (role, email, phone, password) in ACCOUNTS {
        if accounts::find_by_email(app, email).await?.is_some() {
            continue;
        }
        let account = NewAccount {
            name: format!("Demo {}", role.as_str().replace('_', " ")),
            email: email.into(),
            phone: Some(phone.into()),
            password: Secret::new(password),
            role,
            stations: if role == Role::StationAdmin {
                vec![station.id]
            } else {
                Vec::new()
            },
        };
        accounts::create_account(app, account).await?;
    }
    let mut lines = vec![
        format!(
            "Demo station {} (id {}): {} lanes, open 24 hours.",
            station.code, station.id, station.policy.lanes
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

/// Books `count` confirmed demo bookings (paid at the station), from the slot running
/// now onwards, for demo vehicles of the demo driver, and returns their e-tokens — the
/// lanes of `gasq-bridge simulate` scan these. Every booking goes through the same use
/// case as the API's.
pub async fn traffic(app: &App, count: usize) -> Result<Vec<String>, DemoError> {
    use chrono::{Duration, Utc};

    use crate::domain::{PaymentMethod, slots};

    let station = stations::find(app, STATION_CODE)
        .await
        .map_err(|_| DemoError::NotSeeded)?;
    let driver_id = accounts::find_by_email(app, ACCOUNTS[0].1)
        .await?
        .ok_or(DemoError::NotSeeded)?;
    let driver = Actor {
        id: driver_id,
        role: Role::Driver,
        ip: None,
    };
    let mut fleet = vehicles::list(app, &driver).await?;
    for n in fleet.len()..count.clamp(1, 40) {
        fleet.push(vehicles::add(app, &driver, &format!("MH02DM{n:04}")).await?);
    }
    let now = Utc::now();
    let today = slots::local_date(&station.policy, now);
    let mut starts: Vec<_> = [today, today + Duration::days(1)]
        .into_iter()
        .flat_map(|d| slots::slot_starts(&station.policy, d))
        .filter(|s| slots::slot_end(&station.policy, *s) > now)
        .collect();
    starts.reverse();
    let mut issued = Vec::with_capacity(count);
    let mut slot = starts.pop();
    while issued.len() < count {
        let Some(start) = slot else { break };
        let vehicle = &fleet[issued.len() % fleet.len()];
        let request = BookingRequest {
            station_id: station.id,
            vehicle_id: vehicle.id,
            slot_start: start,
            quantity_kg: Some(4.0 + (issued.len() % 9) as f64),
            payment_method: PaymentMethod::AtStation,
        };
        match bookings::book(app, &driver, request, None).await {
            Ok(booked) => issued.push(tokens::issue(app, &booked.booking).await?),
            Err(BookingError::SlotFull { .. }) => slot = starts.pop(),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(issued)
}
