//! Stations: public listing, creation by super admins, policy edits by their admins,
//! assigning staff, and the day's slots.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gasq_shared::policy::StationPolicy;
use gasq_shared::{StationCode, StationId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery, Authorized, StationStaff, SuperAdmins};
use crate::app::forecast::DayForecast;
use crate::app::moves;
use crate::app::slots::{self, SlotView};
use crate::app::stations::{self, StationChanges, StationRequest};
use crate::domain::{MoneyPolicy, Station, slots as grid};
use crate::error::ApiResult;
use crate::state::AppState;

/// A station as the API shows it: its policy's fields alongside its own.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationView {
    id: StationId,
    code: StationCode,
    name: String,
    lat: f64,
    lon: f64,
    #[serde(flatten)]
    policy: StationPolicy,
    lanes_in_service: u16,
    price_paise_per_kg: i64,
    #[serde(flatten)]
    money: MoneyPolicy,
    reminder_lead_minutes: u16,
    /// The lane plan keeps a walk-in's expected wait under this many minutes.
    wait_target_minutes: u16,
    /// Of the walk-ins the forecast expects in a slot, the share it keeps places for.
    walkin_reserve_share_percent: u16,
    /// Places every slot keeps bookable whatever the walk-in reserve.
    min_bookable_places: u16,
    /// The station's code as callers type it on the phone line (`MUM-0042`: 6860042).
    keypad_code: String,
    /// Vehicles one slot can take with the lanes in service now, before walk-in reserve.
    slot_capacity: u32,
    updated_at: DateTime<Utc>,
}

impl From<&Station> for StationView {
    fn from(s: &Station) -> Self {
        Self {
            id: s.id,
            code: s.code.clone(),
            name: s.name.clone(),
            lat: s.lat,
            lon: s.lon,
            policy: s.policy.clone(),
            lanes_in_service: s.lanes_in_service(),
            price_paise_per_kg: s.price_paise_per_kg,
            money: s.money,
            reminder_lead_minutes: s.reminder_lead_minutes,
            wait_target_minutes: s.wait_target_minutes,
            walkin_reserve_share_percent: s.walkin_reserve_share_percent,
            min_bookable_places: s.min_bookable_places,
            keypad_code: crate::domain::keypad::digits(s.code.as_str()),
            slot_capacity: grid::raw_capacity(s),
            updated_at: s.updated_at,
        }
    }
}

/// All stations (public).
#[utoipa::path(get, path = "/api/v1/stations", tag = "stations", responses((status = 200, body = [StationView])))]
pub(crate) async fn list_stations(
    State(state): State<AppState>,
) -> ApiResult<ApiJson<Vec<StationView>>> {
    let all = stations::list(&state).await?;
    Ok(ApiJson(all.iter().map(StationView::from).collect()))
}

/// Creates a station (super admins). Everything but code, name, position and lanes
/// has a default: 15-minute slots, 4 service minutes, Asia/Kolkata, open 24 hours.
#[utoipa::path(post, path = "/api/v1/stations", tag = "stations", request_body = StationRequest,
    responses((status = 201, body = StationView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn create_station(
    State(state): State<AppState>,
    admin: Authorized<SuperAdmins>,
    ApiJson(req): ApiJson<StationRequest>,
) -> ApiResult<(StatusCode, ApiJson<StationView>)> {
    let saved = stations::create(&state, Some(&admin), req).await?;
    Ok((StatusCode::CREATED, ApiJson(StationView::from(&saved))))
}

/// One station (public).
#[utoipa::path(get, path = "/api/v1/stations/{id}", tag = "stations", params(("id" = u32, Path)),
    responses((status = 200, body = StationView), (status = 404)))]
pub(crate) async fn get_station(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<StationId>,
) -> ApiResult<ApiJson<StationView>> {
    Ok(ApiJson(StationView::from(
        &stations::get(&state, id).await?,
    )))
}

/// Changes a station's settings (its station admins, or super admins); any subset of
/// the fields may be sent.
#[utoipa::path(patch, path = "/api/v1/stations/{id}", tag = "stations", params(("id" = u32, Path)),
    request_body = StationChanges, responses((status = 200, body = StationView), (status = 403), (status = 422)),
    security(("bearer" = [])))]
pub(crate) async fn update_station(
    State(state): State<AppState>,
    staff: Authorized<StationStaff>,
    ApiPath(id): ApiPath<StationId>,
    ApiJson(changes): ApiJson<StationChanges>,
) -> ApiResult<ApiJson<StationView>> {
    let saved = stations::update(&state, &staff, id, changes).await?;
    // Fewer lanes (or a longer service time) may leave booked slots over their new
    // capacity: those bookings are moved or refunded now.
    moves::settle_overflow(&state, saved.id).await?;
    Ok(ApiJson(StationView::from(&saved)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignStaff {
    user_id: UserId,
}

/// Assigns a station admin or technician to a station (super admins).
#[utoipa::path(post, path = "/api/v1/stations/{id}/staff", tag = "stations", params(("id" = u32, Path)),
    request_body = AssignStaff, responses((status = 204), (status = 404), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn assign_staff(
    State(state): State<AppState>,
    admin: Authorized<SuperAdmins>,
    ApiPath(id): ApiPath<StationId>,
    ApiJson(req): ApiJson<AssignStaff>,
) -> ApiResult<StatusCode> {
    stations::assign_staff(&state, &admin, id, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotsQuery {
    /// The station's local date, `YYYY-MM-DD`; default today.
    date: Option<String>,
}

/// The station's demand forecast for a day (public): 24 hourly rows of expected
/// arrivals, kilograms and rush level, with the level they were scaled by.
#[utoipa::path(get, path = "/api/v1/stations/{id}/forecast", tag = "slots", params(("id" = u32, Path), SlotsQuery),
    responses((status = 200, body = DayForecast), (status = 400), (status = 404)))]
pub(crate) async fn forecast(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<StationId>,
    ApiQuery(q): ApiQuery<SlotsQuery>,
) -> ApiResult<ApiJson<DayForecast>> {
    Ok(ApiJson(
        slots::forecast(&state, id, q.date.as_deref()).await?,
    ))
}

/// The day's slots with what is left (public).
#[utoipa::path(get, path = "/api/v1/stations/{id}/slots", tag = "slots", params(("id" = u32, Path), SlotsQuery),
    responses((status = 200, body = [SlotView]), (status = 400), (status = 404)))]
pub(crate) async fn list_slots(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<StationId>,
    ApiQuery(q): ApiQuery<SlotsQuery>,
) -> ApiResult<ApiJson<Vec<SlotView>>> {
    Ok(ApiJson(slots::day(&state, id, q.date.as_deref()).await?))
}
