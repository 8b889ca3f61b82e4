//! Who is calling: the logged-in [`Actor`] from an access token, a role set the route
//! admits ([`Authorized`]), and the caller's address ([`ClientIp`]).

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::domain::{Actor, Role};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::unauthorized(
                ErrorCode::Unauthenticated,
                "log in and send `Authorization: Bearer <access_token>`",
            )
        })?;
        let claims = state.access_tokens.verify(token).ok_or_else(|| {
            ApiError::unauthorized(
                ErrorCode::InvalidToken,
                "the access token is invalid or expired: get a new one from /api/v1/auth/refresh",
            )
        })?;
        let ip = ClientIp::from_request_parts(parts, state).await?.0;
        Ok(Self {
            id: claims.sub.into(),
            role: claims.role,
            ip,
        })
    }
}

/// A set of roles a route admits.
pub trait RoleSet: Send + Sync + 'static {
    const ROLES: &'static [Role];
    const DESCRIPTION: &'static str;
}

/// A user whose role is in `R`.
#[derive(Debug)]
pub struct Authorized<R: RoleSet>(pub Actor, PhantomData<R>);

impl<R: RoleSet> std::ops::Deref for Authorized<R> {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

impl<R: RoleSet> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = Actor::from_request_parts(parts, state).await?;
        if !R::ROLES.contains(&user.role) {
            return Err(ApiError::forbidden(format!(
                "this needs the role {}",
                R::DESCRIPTION
            )));
        }
        Ok(Self(user, PhantomData))
    }
}

/// Role set: drivers.
#[derive(Debug)]
pub struct Drivers;
impl RoleSet for Drivers {
    const ROLES: &'static [Role] = &[Role::Driver];
    const DESCRIPTION: &'static str = "driver";
}

/// Role set: super admins.
#[derive(Debug)]
pub struct SuperAdmins;
impl RoleSet for SuperAdmins {
    const ROLES: &'static [Role] = &[Role::SuperAdmin];
    const DESCRIPTION: &'static str = "super_admin";
}

/// Role set: a station's admins (and super admins).
#[derive(Debug)]
pub struct StationStaff;
impl RoleSet for StationStaff {
    const ROLES: &'static [Role] = &[Role::StationAdmin, Role::SuperAdmin];
    const DESCRIPTION: &'static str = "station_admin or super_admin";
}

/// Role set: who provisions and watches a station (its admins, technicians, super
/// admins).
#[derive(Debug)]
pub struct Provisioners;
impl RoleSet for Provisioners {
    const ROLES: &'static [Role] = &[Role::StationAdmin, Role::Technician, Role::SuperAdmin];
    const DESCRIPTION: &'static str = "station_admin, technician or super_admin";
}

/// The caller's IP: the socket peer, or the last `X-Forwarded-For` hop when
/// `rate_limits.trust_forwarded_for` is on (behind a load balancer that sets it).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.settings.rate_limits.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                // The rightmost hop is what our load balancer saw; anything left of it
                // the client could have written itself.
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return Ok(Self(Some(ip)));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Self(peer))
    }
}
