//! `GET /api/v1/me` and the driver's vehicles: add, list, remove.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gasq_shared::{StationId, UserId, VehicleId, VehicleReg};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, CurrentUser, Drivers};
use crate::domain::{Role, Vehicle};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(add_vehicle, list_vehicles))
        .routes(routes!(remove_vehicle))
}

/// The logged-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    id: UserId,
    name: String,
    email: String,
    phone: Option<String>,
    role: Role,
    /// Stations this user manages (station admins and technicians).
    stations: Vec<StationId>,
    created_at: DateTime<Utc>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = Me), (status = 401)),
    security(("bearer" = [])))]
async fn me(State(state): State<AppState>, user: CurrentUser) -> ApiResult<ApiJson<Me>> {
    let record = state
        .store
        .user(user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let c = &state.crypto;
    Ok(ApiJson(Me {
        id: record.id,
        name: record.name,
        email: c
            .decrypt_pii(&record.email_enc)
            .map_err(ApiError::internal)?,
        phone: record
            .phone_enc
            .map(|p| c.decrypt_pii(&p))
            .transpose()
            .map_err(ApiError::internal)?,
        role: record.role,
        stations: state.store.user_stations(user.id).await?,
        created_at: record.created_at,
    }))
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
async fn add_vehicle(
    State(state): State<AppState>,
    user: Authorized<Drivers>,
    ApiJson(req): ApiJson<NewVehicle>,
) -> ApiResult<(StatusCode, ApiJson<VehicleView>)> {
    let registration = VehicleReg::parse(&req.registration)
        .map_err(|e| ApiError::invalid("registration", e.to_string()))?;
    let vehicle = Vehicle {
        id: VehicleId::new(),
        user_id: user.id,
        registration,
        created_at: Utc::now(),
    };
    let audit = user.audit(
        "vehicle.add",
        format!("vehicle:{}", vehicle.id),
        serde_json::json!({}),
    );
    let saved = state
        .store
        .add_vehicle(vehicle, audit)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(m) => ApiError::conflict("vehicle_exists", m),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, ApiJson(saved.into())))
}

#[utoipa::path(get, path = "/api/v1/vehicles", tag = "me", responses((status = 200, body = [VehicleView])),
    security(("bearer" = [])))]
async fn list_vehicles(
    State(state): State<AppState>,
    user: Authorized<Drivers>,
) -> ApiResult<ApiJson<Vec<VehicleView>>> {
    let vehicles = state.store.vehicles(user.id).await?;
    Ok(ApiJson(vehicles.into_iter().map(Into::into).collect()))
}

/// Removes one of the driver's vehicles. Past bookings keep its registration; while a
/// booking of it is live (pending payment or confirmed) it cannot be removed.
#[utoipa::path(delete, path = "/api/v1/vehicles/{id}", tag = "me", params(("id" = VehicleId, Path)),
    responses((status = 204), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn remove_vehicle(
    State(state): State<AppState>,
    user: Authorized<Drivers>,
    ApiPath(id): ApiPath<VehicleId>,
) -> ApiResult<StatusCode> {
    let audit = user.audit(
        "vehicle.remove",
        format!("vehicle:{id}"),
        serde_json::json!({}),
    );
    state
        .store
        .remove_vehicle(user.id, id, audit)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(m) => ApiError::conflict("vehicle_in_use", m),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
