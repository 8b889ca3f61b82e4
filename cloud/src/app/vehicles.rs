//! A driver's vehicles: add, list, remove.

use chrono::Utc;
use gasq_shared::{VehicleId, VehicleReg};

use super::{App, Invalid};
use crate::domain::{Actor, Vehicle};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum VehicleError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The driver has this registration already.
    #[error("{0}")]
    Exists(String),
    #[error("vehicle not found")]
    NotFound,
    /// A live booking holds it.
    #[error("{0}")]
    InUse(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds a vehicle to the driver's account; the registration as written on the plate
/// (spaces and hyphens are dropped).
pub async fn add(app: &App, driver: &Actor, registration: &str) -> Result<Vehicle, VehicleError> {
    let registration =
        VehicleReg::parse(registration).map_err(|e| Invalid::new("registration", e.to_string()))?;
    let vehicle = Vehicle {
        id: VehicleId::new(),
        user_id: driver.id,
        registration,
        created_at: Utc::now(),
    };
    let entry = driver.audit(
        "vehicle.add",
        format!("vehicle:{}", vehicle.id),
        serde_json::json!({}),
    );
    app.store
        .add_vehicle(vehicle, entry)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => VehicleError::Exists(m),
            other => other.into(),
        })
}

pub async fn list(app: &App, driver: &Actor) -> Result<Vec<Vehicle>, VehicleError> {
    Ok(app.store.vehicles(driver.id).await?)
}

/// Removes one of the driver's vehicles. Past bookings keep its registration; while a
/// booking of it is live (pending payment or confirmed) it cannot be removed.
pub async fn remove(app: &App, driver: &Actor, id: VehicleId) -> Result<(), VehicleError> {
    let entry = driver.audit(
        "vehicle.remove",
        format!("vehicle:{id}"),
        serde_json::json!({}),
    );
    app.store
        .remove_vehicle(driver.id, id, entry)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => VehicleError::InUse(m),
            StoreError::NotFound(_) => VehicleError::NotFound,
            other => other.into(),
        })
}
