//! `serve --demo`: a demo station and one account per role, so a first-time user can
//! log in and book within a minute. Safe to run again: what exists is kept.

use gasq_shared::{Phone, StationCode};

use crate::api::auth::create_account;
use crate::domain::{AuditEntry, Role};
use crate::error::ApiError;
use crate::secret::Secret;
use crate::state::AppState;
use crate::store::NewStation;

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

/// Seeds the demo data and returns the lines that tell the user how to log in.
pub async fn seed(state: &AppState) -> Result<Vec<String>, ApiError> {
    let code = StationCode::parse(STATION_CODE).map_err(ApiError::internal)?;
    let station = match state.store.station_by_code(&code).await? {
        Some(s) => s,
        None => {
            let new =
                NewStation::with_defaults(code, "GasQ Demo CNG, Andheri East", 19.1136, 72.8697, 4);
            let audit = AuditEntry {
                action: "station.create".into(),
                detail: serde_json::json!({"demo": true}),
                ..AuditEntry::default()
            };
            state.store.create_station(new, audit).await?
        }
    };
    for (role, email, phone, password) in ACCOUNTS {
        let hash = state.crypto.lookup_hash(email);
        let id = match state.store.user_by_lookup(&hash).await? {
            Some(u) => u.id,
            None => {
                let phone = Phone::parse(phone).map_err(ApiError::internal)?;
                let name = format!("Demo {}", role.as_str().replace('_', " "));
                create_account(
                    state,
                    &name,
                    email,
                    Some(&phone),
                    Secret::new(password),
                    role,
                    None,
                )
                .await?
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

/// Books `count` confirmed demo bookings (paid at the station), from the slot running
/// now onwards, for demo vehicles of the demo driver, and returns their e-tokens — the
/// lanes of `gasq-bridge simulate` scan these. Every booking goes through the same
/// rules as the API.
pub async fn traffic(state: &AppState, count: usize) -> Result<Vec<String>, ApiError> {
    use crate::api::bookings::{CreateBookingRequest, book};
    use crate::auth::CurrentUser;
    use crate::domain::{PaymentMethod, Vehicle, slots};
    use crate::store::CreateBooking;
    use chrono::{Duration, Utc};
    use gasq_shared::{VehicleId, VehicleReg};

    let code = StationCode::parse(STATION_CODE).map_err(ApiError::internal)?;
    let missing = || {
        ApiError::conflict(
            "no_demo",
            "no demo data: run `gasq-cloud serve --demo` once first",
        )
    };
    let station = state
        .store
        .station_by_code(&code)
        .await?
        .ok_or_else(missing)?;
    let driver_email = ACCOUNTS[0].1;
    let record = state
        .store
        .user_by_lookup(&state.crypto.lookup_hash(driver_email))
        .await?
        .ok_or_else(missing)?;
    let driver = CurrentUser {
        id: record.id,
        role: Role::Driver,
        ip: None,
    };
    let mut vehicles = state.store.vehicles(driver.id).await?;
    for n in vehicles.len()..count.clamp(1, 40) {
        let registration =
            VehicleReg::parse(&format!("MH02DM{n:04}")).map_err(ApiError::internal)?;
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
    let now = Utc::now();
    let today = slots::local_date(&station, now);
    let mut starts: Vec<_> = [today, today + Duration::days(1)]
        .into_iter()
        .flat_map(|d| slots::slot_starts(&station, d))
        .filter(|s| slots::slot_end(&station, *s) > now)
        .collect();
    starts.reverse();
    let mut tokens = Vec::with_capacity(count);
    let mut slot = starts.pop();
    while tokens.len() < count {
        let Some(start) = slot else { break };
        let vehicle = &vehicles[tokens.len() % vehicles.len()];
        let kg = 4.0 + (tokens.len() % 9) as f64;
        let req = CreateBookingRequest {
            station_id: station.id,
            vehicle_id: vehicle.id,
            slot_start: start,
            quantity_kg: Some(kg),
            payment_method: PaymentMethod::AtStation,
        };
        match book(state, &driver, req, None).await? {
            CreateBooking::Created(b) | CreateBooking::Replayed(b) => {
                tokens.push(crate::api::tokens::issue(state, &b).await?);
            }
            CreateBooking::SlotFull
            | CreateBooking::ReplayedSlotFull
            | CreateBooking::KeyReused => slot = starts.pop(),
        }
    }
    Ok(tokens)
}
