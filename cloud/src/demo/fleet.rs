//! The demo fleet `demo-traffic` books for: vehicles `MH02DM0000`, `MH02DM0001`, …,
//! two to each fleet driver (`fleet00@demo.gasq.in`, …). Spread over drivers because a
//! driver holds at most `bookings.max_live_per_driver` live bookings ("No hogging",
//! docs/architecture.md); two a driver (fewer if that limit is lower) keeps each well
//! inside the limits while the lanes fuel its vehicles in turn. Drivers and vehicles are
//! made the first time they are needed and reused afterwards.

use super::DemoError;
use crate::app::accounts::{self, NewAccount};
use crate::app::{App, vehicles};
use crate::domain::{Actor, Role, Vehicle};
use crate::secret::Secret;

/// Demo vehicles' plates start with this.
pub const DEMO_PLATE: &str = "MH02DM";
/// Vehicles a fleet driver owns (at most; fewer when `max_live_per_driver` is lower).
const VEHICLES_PER_DRIVER: u32 = 2;
/// The fleet drivers' password (demo data only).
const FLEET_PASSWORD: &str = "demo-fleet-pass";

/// A demo vehicle and the fleet driver who books it.
#[derive(Debug, Clone)]
pub struct FleetVehicle {
    pub driver: Actor,
    pub vehicle: Vehicle,
}

fn per_driver(app: &App) -> usize {
    VEHICLES_PER_DRIVER.min(app.settings.bookings.max_live_per_driver.max(1)) as usize
}

fn driver_email(k: usize) -> String {
    format!("fleet{k:02}@demo.gasq.in")
}

/// Fleet driver `k`, made if missing.
async fn fleet_driver(app: &App, k: usize) -> Result<Actor, DemoError> {
    let email = driver_email(k);
    let id = match accounts::find_by_email(app, &email).await? {
        Some(id) => id,
        None => {
            let account = NewAccount {
                name: format!("Demo fleet driver {k}"),
                email,
                phone: None,
                password: Secret::new(FLEET_PASSWORD),
                role: Role::Driver,
                stations: Vec::new(),
            };
            accounts::create_account(app, account).await?
        }
    };
    Ok(Actor {
        id,
        role: Role::Driver,
        ip: None,
    })
}

/// The fleet's first `size` vehicles (plates numbered from 0), with their drivers, made
/// as needed.
pub async fn fleet(app: &App, size: usize) -> Result<Vec<FleetVehicle>, DemoError> {
    let per = per_driver(app);
    let mut out = Vec::with_capacity(size);
    for k in 0..size.div_ceil(per) {
        let driver = fleet_driver(app, k).await?;
        let owned = vehicles::list(app, &driver).await?;
        for n in k * per..((k + 1) * per).min(size) {
            let plate = format!("{DEMO_PLATE}{n:04}");
            let vehicle = match owned.iter().find(|v| v.registration.as_str() == plate) {
                Some(v) => v.clone(),
                None => vehicles::add(app, &driver, &plate).await?,
            };
            out.push(FleetVehicle { driver, vehicle });
        }
    }
    Ok(out)
}

/// The fleet drivers who exist, in order (they are made in order).
pub async fn existing_drivers(app: &App) -> Result<Vec<Actor>, DemoError> {
    let mut drivers = Vec::new();
    while let Some(id) = accounts::find_by_email(app, &driver_email(drivers.len())).await? {
        drivers.push(Actor {
            id,
            role: Role::Driver,
            ip: None,
        });
    }
    Ok(drivers)
}
