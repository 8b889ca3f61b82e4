//! `GET /api/v1/me` and the driver's vehicles: add, list, remove.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gasq_shared::{VehicleId, VehicleReg};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath, Authorized, Drivers};
use crate::app::accounts::{self, Preferences, Profile};
use crate::app::vehicles;
use crate::domain::{Actor, Vehicle};
use crate::error::ApiResult;
use crate::state::AppState;

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = Profile), (status = 401)),
    security(("bearer" = [])))]
pub(crate) async fn me(State(state): State<AppState>, user: Actor) -> ApiResult<ApiJson<Profile>> {
    Ok(ApiJson(accounts::profile(&state, &user).await?))
}

/// Changes how GasQ talks to the logged-in user: language and channel.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = Preferences,
    responses((status = 200, body = Profile), (status = 401), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn update_me(
    State(state): State<AppState>,
    user: Actor,
    ApiJson(p): ApiJson<Preferences>,
) -> ApiResult<ApiJson<Profile>> {
    Ok(ApiJson(accounts::set_preferences(&state, &user, p).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVehicle {
    /// As written on the plate; spaces and hyphens are dropped (`MH 12 AB 1234`).
    registration: String,
}

/// A driver's vehicle.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleView {
    id: VehicleId,
    registration: VehicleReg,
    created_at: DateTime<Utc>,
}

impl From<Vehicle> for VehicleView {
    fn from(v: Vehicle) -> Self {
        Self {
            id: v.id,
            registration: v.registration,
            created_at: v.created_at,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/vehicles", tag = "me", request_body = NewVehicle,
    responses((status = 201, body = VehicleView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn add_vehicle(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
    ApiJson(req): ApiJson<NewVehicle>,
) -> ApiResult<(StatusCode, ApiJson<VehicleView>)> {
    let saved = vehicles::add(&state, &driver, &req.registration).await?;
    Ok((StatusCode::CREATED, ApiJson(saved.into())))
}

#[utoipa::path(get, path = "/api/v1/vehicles", tag = "me", responses((status = 200, body = [VehicleView])),
    security(("bearer" = [])))]
pub(crate) async fn list_vehicles(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
) -> ApiResult<ApiJson<Vec<VehicleView>>> {
    let list = vehicles::list(&state, &driver).await?;
    Ok(ApiJson(list.into_iter().map(Into::into).collect()))
}

/// Removes one of the driver's vehicles. Past bookings keep its registration; while a
/// booking of it is live (pending payment or confirmed) it cannot be removed.
#[utoipa::path(delete, path = "/api/v1/vehicles/{id}", tag = "me", params(("id" = VehicleId, Path)),
    responses((status = 204), (status = 404), (status = 409)), security(("bearer" = [])))]
pub(crate) async fn remove_vehicle(
    State(state): State<AppState>,
    driver: Authorized<Drivers>,
    ApiPath(id): ApiPath<VehicleId>,
) -> ApiResult<StatusCode> {
    vehicles::remove(&state, &driver, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
