//! The [`Attendant`] extractor: a handler that takes it runs only for requests that carry
//! the attendant secret (checked by [`crate::attendant_secret::AttendantAuth`], which
//! throttles guessing per client address).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use crate::attendant_secret::Check;
use crate::state::AgentState;

/// Extractor: the request carries the attendant secret. `from` is the client's
/// address (what guessing is counted by).
#[derive(Debug, Clone, Copy)]
pub struct Attendant {
    pub from: IpAddr,
}

impl FromRequestParts<Arc<AgentState>> for Attendant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AgentState>,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        // The peer's address (the API is served with connect info; a router tested
        // without a socket has none, and counts as one address).
        let from = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        match state.attendant.check(presented, from).await {
            Check::Ok => Ok(Attendant { from }),
            Check::Wrong => {
                tracing::warn!(%from, "attendant API: wrong secret presented");
                Err(ApiError::Unauthorized)
            }
            Check::Throttled(wait) => {
                tracing::warn!(%from, "attendant API: address locked out after wrong secrets");
                Err(ApiError::TooManyAttempts(wait.as_secs().max(1)))
            }
        }
    }
}
