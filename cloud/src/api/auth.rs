//! `POST /api/v1/auth/{register,login,refresh,logout}`. Logins, logouts and refresh
//! tokens caught being reused are in the audit log; ordinary refreshes are not.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use gasq_shared::{Phone, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{ClientIp, password, refresh};
use crate::domain::{AuditEntry, Role};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::secret::Secret;
use crate::state::AppState;
use crate::store::{NewRefreshToken, NewUser, RefreshOutcome};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh_session))
        .routes(routes!(logout))
}

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

/// A fresh pair of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    refresh_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: i64,
}

/// Lower-cases and checks an e-mail address (enough to catch typos, not RFC 5322).
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if ok {
        Ok(email)
    } else {
        Err(ApiError::invalid(
            "email",
            "not an e-mail address (like name@example.com)",
        ))
    }
}

/// Creates a driver account. Other roles are made by `gasq-cloud user add`.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = Created), (status = 409, description = "e-mail or phone taken"), (status = 422)))]
async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, ApiJson<Created>)> {
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name",
            "give a name of 1 to 100 characters",
        ));
    }
    let email = normalize_email(&req.email)?;
    let phone = Phone::parse(&req.phone).map_err(|e| ApiError::invalid("phone", e.to_string()))?;
    password::check_policy(req.password.expose()).map_err(|m| ApiError::invalid("password", m))?;
    let user = create_account(
        &state,
        &name,
        &email,
        Some(&phone),
        req.password,
        Role::Driver,
        ip.map(|i| i.to_string()),
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(Created { id: user })))
}

/// Creates an account of any role (used by registration, the CLI and the demo).
pub async fn create_account(
    state: &AppState,
    name: &str,
    email: &str,
    phone: Option<&Phone>,
    password: Secret,
    role: Role,
    ip: Option<String>,
) -> ApiResult<UserId> {
    let hash = password::hash(password).await.map_err(ApiError::internal)?;
    let c = &state.crypto;
    let id = UserId::new();
    let user = NewUser {
        id,
        name: name.to_owned(),
        email_enc: c.encrypt_pii(email),
        email_hash: c.lookup_hash(email),
        phone_enc: phone.map(|p| c.encrypt_pii(p.as_str())),
        phone_hash: phone.map(|p| c.lookup_hash(p.as_str())),
        password_hash: hash,
        role,
        created_at: Utc::now(),
    };
    let audit = AuditEntry {
        actor_id: Some(id),
        actor_role: Some(role),
        action: "user.create".into(),
        target: format!("user:{id}"),
        ip,
        detail: serde_json::json!({ "role": role }),
    };
    state
        .store
        .create_user(user, audit)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(m) => ApiError::conflict("account_exists", m),
            other => other.into(),
        })?;
    Ok(id)
}

/// The keyed hash a login name is looked up (and throttled) by.
fn login_key(state: &AppState, login: &str) -> Vec<u8> {
    let login = login.trim();
    if login.contains('@') {
        state.crypto.lookup_hash(&login.to_lowercase())
    } else if let Ok(phone) = Phone::parse(login) {
        state.crypto.lookup_hash(phone.as_str())
    } else {
        state.crypto.lookup_hash(login)
    }
}

/// Logs in with e-mail or phone and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401), (status = 429)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<TokenResponse>> {
    let key = login_key(&state, &req.login);
    let limits = &state.settings.rate_limits;
    let window = Duration::minutes(limits.login_failure_window_minutes);
    // The attempt counts as a failure until it succeeds, and is recorded before the
    // password is checked: a burst of parallel guesses cannot slip past the limit.
    let now = Utc::now();
    state.store.record_login_failure(&key, now).await?;
    let attempts = state.store.login_failures_since(&key, now - window).await?;
    if attempts > limits.login_failures_per_account {
        return Err(ApiError::too_many_requests(
            u64::try_from(window.num_seconds()).unwrap_or(900),
            "too many failed logins for this account: wait, or reset your password",
        ));
    }
    let user = state.store.user_by_lookup(&key).await?;
    let ok = password::verify(req.password, user.as_ref().map(|u| u.password_hash.clone())).await;
    let Some(user) = user.filter(|_| ok) else {
        return Err(ApiError::unauthorized(
            "invalid_credentials",
            "wrong login or password",
        ));
    };
    state.store.clear_login_failures(&key).await?;
    let session = uuid::Uuid::now_v7();
    let audit = AuditEntry {
        actor_id: Some(user.id),
        actor_role: Some(user.role),
        action: "auth.login".into(),
        target: format!("user:{}", user.id),
        ip: ip.map(|i| i.to_string()),
        detail: serde_json::json!({ "session": session }),
    };
    let refresh_token = new_session(&state, user.id, session, audit).await?;
    tokens(&state, user.id, user.role, refresh_token)
}

/// Stores the first refresh token of a new session (refresh-token family).
async fn new_session(
    state: &AppState,
    user: UserId,
    family: uuid::Uuid,
    audit: AuditEntry,
) -> ApiResult<String> {
    let (token, hash) = refresh::generate();
    let now = Utc::now();
    let first = NewRefreshToken {
        token_hash: hash,
        family_id: family,
        user_id: user,
        issued_at: now,
        expires_at: now + Duration::days(state.settings.auth.refresh_token_ttl_days),
    };
    state.store.insert_refresh_token(first, audit).await?;
    Ok(token)
}

/// An audit entry about a session, from `ip`; the store names the session's owner.
fn session_audit(action: &str, ip: Option<std::net::IpAddr>) -> AuditEntry {
    AuditEntry {
        action: action.into(),
        ip: ip.map(|i| i.to_string()),
        ..AuditEntry::default()
    }
}

fn tokens(
    state: &AppState,
    user: UserId,
    role: Role,
    refresh_token: String,
) -> ApiResult<ApiJson<TokenResponse>> {
    Ok(ApiJson(TokenResponse {
        access_token: state
            .access_tokens
            .issue(user, role)
            .map_err(ApiError::internal)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.access_tokens.ttl_secs(),
    }))
}

/// Trades a refresh token for a new pair. Each refresh token works once; using one
/// twice ends the session everywhere (it was probably stolen).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401)))]
async fn refresh_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<ApiJson<TokenResponse>> {
    let (new_token, new_hash) = refresh::generate();
    let now = Utc::now();
    let new = NewRefreshToken {
        token_hash: new_hash,
        family_id: uuid::Uuid::nil(), // the store keeps the old token's family
        user_id: UserId(uuid::Uuid::nil()),
        issued_at: now,
        expires_at: now + Duration::days(state.settings.auth.refresh_token_ttl_days),
    };
    let old = refresh::hash(req.refresh_token.expose());
    // Only a reuse (which ends the session) is audited, not every rotation.
    let reuse = session_audit("auth.refresh_reused", ip);
    match state
        .store
        .rotate_refresh_token(&old, new, now, reuse)
        .await?
    {
        RefreshOutcome::Rotated(user_id) => {
            let user =
                state.store.user(user_id).await?.ok_or_else(|| {
                    ApiError::unauthorized("invalid_refresh_token", "log in again")
                })?;
            tokens(&state, user.id, user.role, new_token)
        }
        RefreshOutcome::Reused => Err(ApiError::unauthorized(
            "refresh_token_reused",
            "this refresh token was already used, so the session was ended for safety: log in again",
        )),
        RefreshOutcome::Invalid => Err(ApiError::unauthorized(
            "invalid_refresh_token",
            "the refresh token is unknown, expired or revoked: log in again",
        )),
    }
}

/// Ends the session the refresh token belongs to.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204)))]
async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    let hash = refresh::hash(req.refresh_token.expose());
    let audit = session_audit("auth.logout", ip);
    state
        .store
        .revoke_refresh_family(&hash, Utc::now(), audit)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
