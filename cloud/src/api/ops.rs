//! Operations endpoints: liveness, readiness (database reachable), Prometheus metrics.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, Scraper};
use crate::app::ops;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    version: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
pub(crate) async fn healthz() -> ApiJson<Health> {
    ApiJson(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The process can serve: its database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, body = Health), (status = 503)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> ApiResult<ApiJson<Health>> {
    ops::ready(&state).await?;
    Ok(ApiJson(Health {
        status: "ready",
        version: env!("CARGO_PKG_VERSION"),
    }))
}

/// Prometheus text format, for the holder of the scrape token (`metrics.token`); refused
/// to everyone while none is configured.
#[utoipa::path(get, path = "/metrics", tag = "ops", security(("metrics_token" = [])),
    responses((status = 200, content_type = "text/plain", body = String), (status = 401), (status = 403)))]
pub(crate) async fn metrics(
    State(state): State<AppState>,
    _scraper: Scraper,
) -> ApiResult<impl IntoResponse> {
    let bookings = ops::bookings_by_status(&state).await?;
    let text = state
        .metrics
        .render(&bookings)
        .map_err(ApiError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}
