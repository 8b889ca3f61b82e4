//! `POST /api/v1/auth/{register,login,refresh,logout}`.

use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use gasq_shared::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{ApiJson, ClientIp};
use crate::app::accounts::{self, Registration, Tokens};
use crate::app::login::{self, LoginAttempt};
use crate::auth::device_cookie::COOKIE_NAME;
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
    /// The `device_token` an earlier login answered (apps; browsers send the
    /// `gasq_device` cookie instead): this device's logins are not slowed by guesses at
    /// the account from elsewhere.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    device_token: Option<Secret>,
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

/// Logs in with e-mail or phone and password. Repeated failures slow further attempts
/// (429 with `Retry-After`), per account and per client address, never locking the
/// account; a device that signed in before (its `gasq_device` cookie or `device_token`)
/// is not held up by guesses from elsewhere.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = Tokens, headers(("set-cookie" = String, description = "gasq_device: this device's cookie"))),
        (status = 401), (status = 429)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let attempt = LoginAttempt {
        login: req.login,
        password: req.password,
        ip,
        device_token: req.device_token.or_else(|| cookie(&headers)),
    };
    let tokens = login::login(&state, attempt).await?;
    let set_cookie = tokens
        .device_token
        .as_deref()
        .map(|t| set_cookie(&state, t))
        .and_then(|c| HeaderValue::from_str(&c).ok());
    let mut res = ApiJson(tokens).into_response();
    if let Some(c) = set_cookie {
        res.headers_mut().insert(SET_COOKIE, c);
    }
    Ok(res)
}

/// The device cookie among the request's cookies.
fn cookie(headers: &HeaderMap) -> Option<Secret> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| Secret::new(value))
}

/// The device cookie: only for the auth routes, not readable by scripts, never sent by
/// other sites; `Secure` when the cloud is reached over HTTPS.
fn set_cookie(state: &AppState, token: &str) -> String {
    let max_age = state.settings.auth.device_cookie_ttl_days * 24 * 3600;
    let secure = state
        .settings
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    format!(
        "{COOKIE_NAME}={token}; Path=/api/v1/auth; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
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
        crate::app::sessions::refresh(&state, &req.refresh_token, ip).await?,
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
    crate::app::sessions::logout(&state, &req.refresh_token, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}
