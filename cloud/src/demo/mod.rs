//! `serve --demo`: a demo station and one account per role, so a first-time user can
//! log in and book within a minute; and `demo-traffic` (`traffic.rs`): bookings for the
//! demo fleet (`fleet.rs`) whose e-tokens the simulated lanes of `scripts/demo` scan. Safe to run again: what exists
//! is kept (the demo station gets the demo policy, below, if it was made without it).
//! Everything goes through the same use cases as the API.

mod fleet;
mod traffic;

use gasq_shared::policy::PolicyChanges;

pub use traffic::{DEMO_FLEET, Shortfall, Traffic, TrafficRequest, traffic};

use crate::app::App;
use crate::app::accounts::{self, AccountError, NewAccount};
use crate::app::bookings::BookingError;
use crate::app::stations::{self, StationChanges, StationError, StationRequest};
use crate::app::tokens::TokenError;
use crate::app::vehicles::VehicleError;
use crate::domain::{Role, Station};
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

fn demo_policy() -> PolicyChanges {
    PolicyChanges {
        service_minutes: Some(DEMO_SERVICE_MINUTES),
        early_grace_minutes: Some(DEMO_EARLY_GRACE_MINUTES),
        ..PolicyChanges::default()
    }
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

/// The demo station with the demo policy: made if missing, updated if made before it.
async fn demo_station(app: &App) -> Result<Station, DemoError> {
    match stations::find(app, STATION_CODE).await {
        Ok(s)
            if s.policy.service_minutes == DEMO_SERVICE_MINUTES
                && s.policy.early_grace_minutes == DEMO_EARLY_GRACE_MINUTES =>
        {
            Ok(s)
        }
        // A demo station made before the demo policy existed (an old data dir).
        Ok(s) => {
            let changes = StationChanges {
                policy: demo_policy(),
                ..StationChanges::default()
            };
            Ok(stations::update_as_system(app, s.id, changes).await?)
        }
        Err(StationError::NotFound(_)) => {
            let mut policy = demo_policy();
            policy.lanes = Some(4);
            let request = StationRequest {
                code: STATION_CODE.into(),
                lat: 19.1136,
                lon: 72.8697,
                settings: StationChanges {
                    name: Some("GasQ Demo CNG, Andheri East".into()),
                    policy,
                    ..StationChanges::default()
                },
            };
            Ok(stations::create(app, None, request).await?)
        }
        Err(e) => Err(e.into()),
    }
}
