//! `GET /api/v1/stations/{id}/slots?date=` — the day's slots with what is left (public).

use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use gasq_shared::StationId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::stations::load_station;
use crate::domain::slots;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_slots))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotsQuery {
    /// The station's local date, `YYYY-MM-DD`; default today.
    date: Option<String>,
}

/// How busy a slot is expected to be.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RushLevel {
    /// No forecast yet.
    Unknown,
    Low,
    Medium,
    High,
}

/// One slot of the day.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotView {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Bookable places in this slot.
    capacity: u32,
    /// Places still free now (0 for a slot that has ended).
    available: u32,
    rush_level: RushLevel,
}

#[utoipa::path(get, path = "/api/v1/stations/{id}/slots", tag = "slots", params(("id" = u32, Path), SlotsQuery),
    responses((status = 200, body = [SlotView]), (status = 400), (status = 404)))]
async fn list_slots(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<StationId>,
    ApiQuery(q): ApiQuery<SlotsQuery>,
) -> ApiResult<ApiJson<Vec<SlotView>>> {
    let station = load_station(&state, id).await?;
    let now = Utc::now();
    let today = slots::local_date(&station, now);
    let date = match q.date {
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request("invalid_query", "date must be YYYY-MM-DD"))?,
        None => today,
    };
    if (date - today).num_days().abs() > 366 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "date must be within a year of today",
        ));
    }
    let starts = slots::slot_starts(&station, date);
    let (Some(first), Some(last)) = (starts.first(), starts.last()) else {
        return Ok(ApiJson(Vec::new()));
    };
    let loads = state
        .store
        .slot_loads(id, *first, *last + Duration::seconds(1))
        .await?;
    let fresh_capacity = slots::capacity(&station, 0);
    let views = starts
        .into_iter()
        .map(|start| {
            let load = loads.iter().find(|l| l.slot_start == start);
            let capacity = load.map_or(fresh_capacity, |l| l.capacity);
            let held = load.map_or(0, |l| l.held);
            let end = slots::slot_end(&station, start);
            let available = if end <= now {
                0
            } else {
                capacity.saturating_sub(held)
            };
            SlotView {
                start,
                end,
                capacity,
                available,
                rush_level: RushLevel::Unknown,
            }
        })
        .collect();
    Ok(ApiJson(views))
}
