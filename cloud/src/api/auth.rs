//! `POST /api/v1/auth/{register,login,refresh,logout}`.

use axum::extract::State;
use axum::http::StatusCode;
use gasq_shared::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ClientIp};
use crate::app::accounts::{self, Registration, Tokens};
use crate::error::ApiResult;
use crate::secret::Secret;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    name: String,
    email: String,
    phone: String,
    #[schema(value_type = String, format = Password)]
    password: Secret,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    id: UserId,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address or phone number.
    login: String,
    #[schema(value_type = String, format = Password)]
    password: Secret,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(value_type = String)]
    refresh_token: Secret,
}

/// Creates a driver account. Other roles are made by `gasq-cloud user add`.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = Created), (status = 409, description = "e-mail or phone taken"), (status = 422)))]
pub(crate) async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, ApiJson<Created>)> {
    let registration = Registration {
        name: req.name,
        email: req.email,
        phone: req.phone,
        password: req.password,
    };
    let id = accounts::register(&state, registration, ip).await?;
    Ok((StatusCode::CREATED, ApiJson(Created { id })))
}

/// Logs in with e-mail or phone and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = Tokens), (status = 401), (status = 429)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<Tokens>> {
    Ok(ApiJson(
        accounts::login(&state, &req.login, req.password, ip).await?,
    ))
}

/// Trades a refresh token for a new pair. Each refresh token works once; using one
/// twice ends the session everywhere (it was probably stolen).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = Tokens), (status = 401)))]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<ApiJson<Tokens>> {
    Ok(ApiJson(
        accounts::refresh(&state, &req.refresh_token, ip).await?,
    ))
}

/// Ends the session the refresh token belongs to.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204)))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    accounts::logout(&state, &req.refresh_token, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}
