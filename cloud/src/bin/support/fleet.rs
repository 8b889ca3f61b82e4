//! What the load tools (`gasq-load`, `gasq-webhooks`) set up before they measure: a fresh
//! station and registered drivers with their vehicles, over the API.

use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::json;

use super::http::Client;

/// A vehicle and the token of the driver who books it.
pub struct Driver {
    pub token: String,
    pub vehicle: String,
}

/// The station and drivers to register.
pub struct Fleet {
    /// The station's code is `<prefix>-<4 digits of the time>`.
    pub code_prefix: &'static str,
    pub name: &'static str,
    pub lanes: u16,
    pub drivers: usize,
    pub vehicles_per_driver: usize,
}

impl Fleet {
    /// Creates the station (as the super admin `admin`) and registers the drivers;
    /// returns the station id and one entry per vehicle.
    pub async fn register(&self, c: &Client, admin: &str) -> anyhow::Result<(u64, Vec<Driver>)> {
        let tag = Utc::now().timestamp() % 10_000;
        let code = format!("{}-{tag:04}", self.code_prefix);
        let body =
            json!({"code": code, "name": self.name, "lat": 19.0, "lon": 72.8, "lanes": self.lanes});
        let (status, station) = c.post("/api/v1/stations", Some(admin), body).await?;
        if status != 201 {
            bail!("create station: {status} {station}");
        }
        let station_id = station["id"].as_u64().context("station id")?;
        let prefix = self.code_prefix.to_ascii_lowercase();
        let mut drivers = Vec::new();
        for n in 0..self.drivers {
            let email = format!("{prefix}{tag}-{n}@example.in");
            let phone = format!(
                "7{:09}",
                (u64::try_from(tag).unwrap_or(0) * 100_000 + n as u64) % 1_000_000_000
            );
            let reg = json!({"name": format!("Load {n}"), "email": email, "phone": phone, "password": "load-test-pass"});
            let (status, body) = c.post("/api/v1/auth/register", None, reg).await?;
            if status != 201 {
                bail!("register driver {n}: {status} {body}");
            }
            let token = c.login(&email, "load-test-pass").await?;
            for k in 0..self.vehicles_per_driver.max(1) {
                // Plates unique per run: a plate is one tank whoever registered it.
                let plate = format!("{}{tag:04}D{n:04}V{k:02}", &self.code_prefix[..1]);
                let (status, v) = c
                    .post(
                        "/api/v1/vehicles",
                        Some(&token),
                        json!({"registration": plate}),
                    )
                    .await?;
                if status != 201 {
                    bail!("vehicle: {status} {v}");
                }
                drivers.push(Driver {
                    token: token.clone(),
                    vehicle: v["id"].as_str().context("vehicle id")?.to_owned(),
                });
            }
            if n % 16 == 15 {
                eprint!("\rregistered {}/{} drivers", n + 1, self.drivers);
            }
        }
        eprintln!(
            "\rregistered {} drivers, station {code} (id {station_id})",
            self.drivers
        );
        Ok((station_id, drivers))
    }
}
