//! A station with its admin, and a driver with a vehicle: where most edge and booking
//! tests start.

use serde_json::json;

use super::app::{Session, TestApp, future_slot, spawn_with};
use super::db::TestDb;
use gasq_cloud::config::Settings;
use gasq_cloud::domain::Role;
use reqwest::StatusCode;

pub struct World {
    pub app: TestApp,
    pub admin: Session,
    pub driver: Session,
    pub vehicle: String,
    pub station: u64,
}

/// The world on a fresh SQLite database.
pub async fn world() -> World {
    world_on(TestDb::sqlite()).await
}

/// Station `MUM-0042` (2 lanes) with its admin, and driver 1 with vehicle `MH12AB1234`.
pub async fn world_on(db: TestDb) -> World {
    world_with(db, |_| {}).await
}

/// The world on `db`, with `tweak` applied to the cloud's settings.
pub async fn world_with(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> World {
    let app = spawn_with(db, tweak).await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let station = app.station(&root, "MUM-0042", 2).await["id"]
        .as_u64()
        .unwrap();
    let admin = app.user_with_role(Role::StationAdmin, "admin").await;
    app.post(
        &format!("/api/v1/stations/{station}/staff"),
        Some(&root.token),
        json!({"user_id": admin.user_id}),
    )
    .await;
    let driver = app.driver(1).await;
    let vehicle = app.vehicle(&driver, "MH12AB1234").await;
    World {
        app,
        admin,
        driver,
        vehicle,
        station,
    }
}

impl World {
    /// One lane of 15-minute fills: each slot has one place.
    pub async fn one_place_per_slot(&self) {
        let body = json!({"lanes": 1, "service_minutes": 15});
        self.app
            .patch_station(&self.admin, self.station, body)
            .await;
    }

    /// Books the slot `hours` ahead for the vehicle, paying at the station.
    pub async fn book(&self, hours: i64) -> String {
        let body = json!({"station_id": self.station, "vehicle_id": self.vehicle, "slot_start": future_slot(hours), "payment_method": "at_station"});
        let (status, b) = self
            .app
            .post("/api/v1/bookings", Some(&self.driver.token), body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        b["id"].as_str().unwrap().to_owned()
    }

    /// The station's dashboard, as its admin sees it.
    pub async fn dashboard(&self) -> serde_json::Value {
        let path = format!("/api/v1/stations/{}/dashboard", self.station);
        let (status, dash) = self.app.get(&path, Some(&self.admin.token)).await;
        assert_eq!(status, StatusCode::OK, "{dash}");
        dash
    }

    /// Cancels `booking` as its driver.
    pub async fn cancel(&self, booking: &str) {
        let (status, b) = self
            .app
            .post(
                &format!("/api/v1/bookings/{booking}/cancel"),
                Some(&self.driver.token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
    }
}
