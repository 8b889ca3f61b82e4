//! Who is calling: extractors that make a handler's signature say who may call it.
//!
//! - [`CurrentUser`]: any logged-in user (401 without a valid access token).
//! - [`Authorized<R>`]: a user whose role is in the set `R` (403 otherwise), e.g.
//!   `Authorized<SuperAdmins>`. Station scoping is checked with [`CurrentUser::require_station`].
//! - [`ClientIp`]: the caller's address, for rate limits and the audit log.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use gasq_shared::{StationId, UserId};

use crate::domain::{AuditEntry, Role};
use crate::error::ApiError;
use crate::state::AppState;

/// A logged-in user, from a valid access token.
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser {
    pub id: UserId,
    pub role: Role,
    pub ip: Option<IpAddr>,
}

impl CurrentUser {
    /// Whether this user works at `station`: super admins everywhere, station admins and
    /// technicians where assigned, drivers nowhere. Routes combine this with a role set.
    pub async fn assigned_to(
        &self,
        state: &AppState,
        station: StationId,
    ) -> Result<bool, ApiError> {
        Ok(match self.role {
            Role::SuperAdmin => true,
            Role::Driver => false,
            Role::StationAdmin | Role::Technician => {
                state.store.user_stations(self.id).await?.contains(&station)
            }
        })
    }

    /// Whether this user administers `station`'s bookings and policy (its station
    /// admins and super admins, not technicians).
    pub async fn administers(
        &self,
        state: &AppState,
        station: StationId,
    ) -> Result<bool, ApiError> {
        Ok(matches!(self.role, Role::StationAdmin | Role::SuperAdmin)
            && self.assigned_to(state, station).await?)
    }

    /// 403 unless [`Self::assigned_to`].
    pub async fn require_station(
        &self,
        state: &AppState,
        station: StationId,
    ) -> Result<(), ApiError> {
        if self.assigned_to(state, station).await? {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "you are not assigned to station {station}"
            )))
        }
    }

    /// An audit entry with this user as the actor.
    pub fn audit(&self, action: &str, target: String, detail: serde_json::Value) -> AuditEntry {
        AuditEntry {
            actor_id: Some(self.id),
            actor_role: Some(self.role),
            action: action.to_owned(),
            target,
            ip: self.ip.map(|ip| ip.to_string()),
            detail,
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::unauthorized(
                "unauthenticated",
                "log in and send `Authorization: Bearer <access_token>`",
            )
        })?;
        let claims = state.access_tokens.verify(token).ok_or_else(|| {
            ApiError::unauthorized(
                "invalid_token",
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
pub struct Authorized<R: RoleSet>(pub CurrentUser, PhantomData<R>);

impl<R: RoleSet> std::ops::Deref for Authorized<R> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.0
    }
}

impl<R: RoleSet> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if !R::ROLES.contains(&user.role) {
            return Err(ApiError::forbidden(format!(
                "this needs the role {}",
                R::DESCRIPTION
            )));
        }
        Ok(Self(user, PhantomData))
    }
}

macro_rules! role_set {
    ($name:ident, $desc:literal, [$($role:ident),+]) => {
        #[doc = concat!("Role set: ", $desc, ".")]
        #[derive(Debug)]
        pub struct $name;
        impl RoleSet for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
            const DESCRIPTION: &'static str = $desc;
        }
    };
}

role_set!(Drivers, "driver", [Driver]);
role_set!(SuperAdmins, "super_admin", [SuperAdmin]);
role_set!(
    StationStaff,
    "station_admin or super_admin",
    [StationAdmin, SuperAdmin]
);
role_set!(
    Provisioners,
    "station_admin, technician or super_admin",
    [StationAdmin, Technician, SuperAdmin]
);

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
