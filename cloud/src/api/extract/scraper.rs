//! [`Scraper`]: the caller of `GET /metrics`, holding the configured scrape token
//! (`metrics.token`).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// A request that presented the scrape token.
#[derive(Debug, Clone, Copy)]
pub struct Scraper;

impl FromRequestParts<AppState> for Scraper {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // No token configured: nobody scrapes (see `MetricsSettings::token` for why not
        // "loopback only").
        let Some(expected) = &state.settings.metrics.token else {
            return Err(ApiError::forbidden(
                "metrics are off: set metrics.token (GASQ_METRICS__TOKEN) and scrape with \
                 `Authorization: Bearer <token>`",
            ));
        };
        let sent = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let Some(sent) = sent else {
            return Err(ApiError::unauthorized(
                ErrorCode::Unauthenticated,
                "send the scrape token: `Authorization: Bearer <metrics.token>`",
            ));
        };
        // Constant time: the comparison must not tell how much of a guess was right.
        if bool::from(sent.as_bytes().ct_eq(expected.expose().trim().as_bytes())) {
            Ok(Self)
        } else {
            Err(ApiError::unauthorized(
                ErrorCode::InvalidToken,
                "that is not the scrape token (metrics.token)",
            ))
        }
    }
}
