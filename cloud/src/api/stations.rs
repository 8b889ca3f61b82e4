//! Stations: public listing, creation by super admins, policy edits by their admins,
//! and assigning staff.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gasq_shared::{StationCode, StationId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, StationStaff, SuperAdmins};
use crate::domain::{Role, Station, slots};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use crate::store::{NewStation, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stations, create_station))
        .routes(routes!(get_station, update_station))
        .routes(routes!(assign_staff))
}

/// A station as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StationView {
    id: StationId,
    code: StationCode,
    name: String,
    lat: f64,
    lon: f64,
    lanes: u16,
    lanes_in_service: u16,
    slot_minutes: u16,
    service_minutes: u16,
    timezone: String,
    /// Local opening time, `HH:MM`.
    opens_at: String,
    /// Local closing time, `HH:MM` (`24:00` = midnight).
    closes_at: String,
    early_grace_minutes: u16,
    late_grace_minutes: u16,
    price_paise_per_kg: i64,
    /// Vehicles one slot can take with the lanes in service now, before walk-in reserve.
    slot_capacity: u32,
    updated_at: DateTime<Utc>,
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_hhmm(field: &str, s: &str) -> Result<u16, ApiError> {
    let bad = || ApiError::invalid(field, "use HH:MM, 00:00 to 24:00");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl From<&Station> for StationView {
    fn from(s: &Station) -> Self {
        Self {
            id: s.id,
            code: s.code.clone(),
            name: s.name.clone(),
            lat: s.lat,
            lon: s.lon,
            lanes: s.lanes,
            lanes_in_service: s.lanes_in_service(),
            slot_minutes: s.slot_minutes,
            service_minutes: s.service_minutes,
            timezone: s.timezone.name().to_owned(),
            opens_at: hhmm(s.open_minute),
            closes_at: hhmm(s.close_minute),
            early_grace_minutes: s.early_grace_minutes,
            late_grace_minutes: s.late_grace_minutes,
            price_paise_per_kg: s.price_paise_per_kg,
            slot_capacity: slots::raw_capacity(s),
            updated_at: s.updated_at,
        }
    }
}

/// A new station. Everything but code, name, position and lanes has a default:
/// 15-minute slots, 4 service minutes, Asia/Kolkata, open 24 hours.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStation {
    code: String,
    name: String,
    lat: f64,
    lon: f64,
    lanes: u16,
    slot_minutes: Option<u16>,
    service_minutes: Option<u16>,
    timezone: Option<String>,
    opens_at: Option<String>,
    closes_at: Option<String>,
    early_grace_minutes: Option<u16>,
    late_grace_minutes: Option<u16>,
    price_paise_per_kg: Option<i64>,
}

/// Booking policy fields; any subset may be sent to change them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFields {
    name: Option<String>,
    lanes: Option<u16>,
    /// Lanes out of service (lowers capacity at once).
    lanes_down: Option<u16>,
    slot_minutes: Option<u16>,
    service_minutes: Option<u16>,
    timezone: Option<String>,
    opens_at: Option<String>,
    closes_at: Option<String>,
    early_grace_minutes: Option<u16>,
    late_grace_minutes: Option<u16>,
    price_paise_per_kg: Option<i64>,
}

/// Applies policy fields to a station, checking each.
fn apply(s: &mut Station, p: PolicyFields) -> Result<(), ApiError> {
    if let Some(name) = p.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid(
                "name",
                "give a name of 1 to 100 characters",
            ));
        }
        s.name = name.to_owned();
    }
    if let Some(lanes) = p.lanes {
        if !(1..=64).contains(&lanes) {
            return Err(ApiError::invalid("lanes", "a station has 1 to 64 lanes"));
        }
        s.lanes = lanes;
    }
    if let Some(down) = p.lanes_down {
        s.lanes_down = down;
    }
    if s.lanes_down > s.lanes {
        return Err(ApiError::invalid(
            "lanes_down",
            "cannot exceed the number of lanes",
        ));
    }
    if let Some(m) = p.slot_minutes {
        if ![5, 10, 15, 20, 30, 60].contains(&m) {
            return Err(ApiError::invalid(
                "slot_minutes",
                "use 5, 10, 15, 20, 30 or 60",
            ));
        }
        s.slot_minutes = m;
    }
    if let Some(m) = p.service_minutes {
        if !(1..=60).contains(&m) {
            return Err(ApiError::invalid(
                "service_minutes",
                "use 1 to 60 minutes per vehicle",
            ));
        }
        s.service_minutes = m;
    }
    if let Some(tz) = p.timezone {
        s.timezone = tz.parse().map_err(|_| {
            ApiError::invalid("timezone", "use an IANA time zone such as Asia/Kolkata")
        })?;
    }
    if let Some(t) = p.opens_at {
        s.open_minute = parse_hhmm("opens_at", &t)?;
    }
    if let Some(t) = p.closes_at {
        s.close_minute = parse_hhmm("closes_at", &t)?;
    }
    if s.open_minute + s.slot_minutes > s.close_minute {
        return Err(ApiError::invalid(
            "closes_at",
            "must be at least one slot after opens_at (overnight hours are not supported)",
        ));
    }
    for (field, value) in [
        ("early_grace_minutes", p.early_grace_minutes),
        ("late_grace_minutes", p.late_grace_minutes),
    ] {
        if value.is_some_and(|v| v > 240) {
            return Err(ApiError::invalid(field, "use 0 to 240 minutes"));
        }
    }
    s.early_grace_minutes = p.early_grace_minutes.unwrap_or(s.early_grace_minutes);
    s.late_grace_minutes = p.late_grace_minutes.unwrap_or(s.late_grace_minutes);
    if let Some(price) = p.price_paise_per_kg {
        if !(1..=100_000).contains(&price) {
            return Err(ApiError::invalid(
                "price_paise_per_kg",
                "use 1 to 100000 paise",
            ));
        }
        s.price_paise_per_kg = price;
    }
    Ok(())
}

/// All stations (public).
#[utoipa::path(get, path = "/api/v1/stations", tag = "stations", responses((status = 200, body = [StationView])))]
async fn list_stations(State(state): State<AppState>) -> ApiResult<ApiJson<Vec<StationView>>> {
    Ok(ApiJson(
        state
            .store
            .stations()
            .await?
            .iter()
            .map(StationView::from)
            .collect(),
    ))
}

/// Creates a station (super admins).
#[utoipa::path(post, path = "/api/v1/stations", tag = "stations", request_body = CreateStation,
    responses((status = 201, body = StationView), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_station(
    State(state): State<AppState>,
    admin: Authorized<SuperAdmins>,
    ApiJson(req): ApiJson<CreateStation>,
) -> ApiResult<(StatusCode, ApiJson<StationView>)> {
    let code =
        StationCode::parse(&req.code).map_err(|e| ApiError::invalid("code", e.to_string()))?;
    if !(-90.0..=90.0).contains(&req.lat) || !(-180.0..=180.0).contains(&req.lon) {
        return Err(ApiError::invalid(
            "lat",
            "lat must be -90..90 and lon -180..180",
        ));
    }
    let mut s = NewStation::with_defaults(code, String::new(), req.lat, req.lon, 1).draft();
    let policy = PolicyFields {
        name: Some(req.name),
        lanes: Some(req.lanes),
        lanes_down: None,
        slot_minutes: req.slot_minutes,
        service_minutes: req.service_minutes,
        timezone: req.timezone,
        opens_at: req.opens_at,
        closes_at: req.closes_at,
        early_grace_minutes: req.early_grace_minutes,
        late_grace_minutes: req.late_grace_minutes,
        price_paise_per_kg: req.price_paise_per_kg,
    };
    apply(&mut s, policy)?;
    let new = NewStation::from(&s);
    let audit = admin.audit(
        "station.create",
        String::new(),
        serde_json::json!({ "code": s.code }),
    );
    let saved = state
        .store
        .create_station(new, audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => ApiError::conflict("station_exists", m),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, ApiJson(StationView::from(&saved))))
}

pub async fn load_station(state: &AppState, id: StationId) -> ApiResult<Station> {
    state
        .store
        .station(id)
        .await?
        .ok_or_else(|| ApiError::not_found("station"))
}

/// One station (public).
#[utoipa::path(get, path = "/api/v1/stations/{id}", tag = "stations", params(("id" = u32, Path)),
    responses((status = 200, body = StationView), (status = 404)))]
async fn get_station(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<StationId>,
) -> ApiResult<ApiJson<StationView>> {
    Ok(ApiJson(StationView::from(&load_station(&state, id).await?)))
}

/// Changes a station's policy (its station admins, or super admins).
#[utoipa::path(patch, path = "/api/v1/stations/{id}", tag = "stations", params(("id" = u32, Path)),
    request_body = PolicyFields, responses((status = 200, body = StationView), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn update_station(
    State(state): State<AppState>,
    staff: Authorized<StationStaff>,
    ApiPath(id): ApiPath<StationId>,
    ApiJson(req): ApiJson<PolicyFields>,
) -> ApiResult<ApiJson<StationView>> {
    staff.require_station(&state, id).await?;
    // Optimistic: re-read and re-apply if the edge (a lane fault) or another admin
    // changed the station between our read and our write.
    for _ in 0..3 {
        let before = load_station(&state, id).await?;
        let mut s = before.clone();
        apply(&mut s, req.clone())?;
        if s.slot_minutes != before.slot_minutes
            && state.store.live_bookings_ahead(id, Utc::now()).await? > 0
        {
            return Err(ApiError::conflict(
                "bookings_ahead",
                "slot_minutes cannot change while bookings on the current grid are ahead: change it when they are done",
            ));
        }
        let capacity = slots::capacity(&s, 0);
        let audit = staff.audit("station.update", format!("station:{id}"), serde_json::json!({
            "lanes": s.lanes, "lanes_down": s.lanes_down, "service_minutes": s.service_minutes,
            "slot_minutes": s.slot_minutes, "opens_at": hhmm(s.open_minute), "closes_at": hhmm(s.close_minute),
        }));
        match state
            .store
            .update_station(&s, before.updated_at, capacity, audit)
            .await
        {
            Ok(saved) => return Ok(ApiJson(StationView::from(&saved))),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "station_busy",
        "the station keeps changing: try again in a moment",
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignStaff {
    user_id: UserId,
}

/// Assigns a station admin or technician to a station (super admins).
#[utoipa::path(post, path = "/api/v1/stations/{id}/staff", tag = "stations", params(("id" = u32, Path)),
    request_body = AssignStaff, responses((status = 204), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn assign_staff(
    State(state): State<AppState>,
    admin: Authorized<SuperAdmins>,
    ApiPath(id): ApiPath<StationId>,
    ApiJson(req): ApiJson<AssignStaff>,
) -> ApiResult<StatusCode> {
    load_station(&state, id).await?;
    let user = state
        .store
        .user(req.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if !matches!(user.role, Role::StationAdmin | Role::Technician) {
        return Err(ApiError::invalid(
            "user_id",
            "only station admins and technicians are assigned to stations",
        ));
    }
    let audit = admin.audit(
        "station.assign_staff",
        format!("station:{id}"),
        serde_json::json!({ "user_id": user.id }),
    );
    state.store.assign_station(user.id, id, audit).await?;
    Ok(StatusCode::NO_CONTENT)
}
