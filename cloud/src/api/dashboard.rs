//! `GET /api/v1/stations/{id}/dashboard`: lanes, queue, today's numbers, the health
//! of each edge box (how stale its data is), and open reconciliation cases.

use std::collections::BTreeMap;

use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use gasq_shared::{BookingId, DeviceId, StationCode, StationId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::stations::load_station;
use crate::auth::{Authorized, Provisioners};
use crate::domain::{Station, slots};
use crate::error::{ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use crate::store::Device;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    station: StationSummary,
    generated_at: DateTime<Utc>,
    lanes: Vec<LaneView>,
    /// The latest queue the edge reported; `null` if it never did.
    queue: Option<QueueView>,
    today: Today,
    edges: Vec<EdgeHealth>,
    reconciliation: Vec<CaseView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationSummary {
    id: StationId,
    code: StationCode,
    name: String,
    lanes: u16,
    lanes_in_service: u16,
    /// Bookable places per slot right now.
    slot_capacity: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LaneView {
    lane: u16,
    up: bool,
    detail: Option<String>,
    /// Since when the lane is in this state (`null`: never reported down).
    since: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    waiting: i64,
    lanes_up: i64,
    at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Today {
    /// The station's local date.
    date: NaiveDate,
    /// Bookings with a slot today, by status.
    bookings: BTreeMap<String, i64>,
    fills: i64,
    filled_kg: f64,
    rejected_scans: i64,
    walkins: i64,
}

/// How fresh an edge box's picture of the station is.
#[derive(Debug, Serialize, ToSchema)]
pub struct EdgeHealth {
    device_id: DeviceId,
    hostname: Option<String>,
    version: Option<String>,
    enrolled_at: DateTime<Utc>,
    /// `online` (synced recently), `stale` (not heard from lately), `never_synced`,
    /// or `revoked`. Never `online` for an edge that is not syncing.
    status: String,
    last_seen_at: Option<DateTime<Utc>>,
    last_pull_at: Option<DateTime<Utc>>,
    last_push_at: Option<DateTime<Utc>>,
    seconds_since_seen: Option<i64>,
    outbox_depth: Option<i64>,
    oldest_unsent_at: Option<DateTime<Utc>>,
    /// Events the edge set aside because the cloud kept refusing them: records of this
    /// station the cloud does not have (`null`: the edge has not said).
    quarantined: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    id: uuid::Uuid,
    booking_id: Option<BookingId>,
    kind: String,
    detail: String,
    created_at: DateTime<Utc>,
}

fn edge_health(d: Device, now: DateTime<Utc>, offline_after: i64) -> EdgeHealth {
    let since_seen = d.last_seen_at.map(|t| (now - t).num_seconds().max(0));
    let status = match (d.revoked_at, since_seen) {
        (Some(_), _) => "revoked",
        (None, None) => "never_synced",
        (None, Some(s)) if s <= offline_after => "online",
        (None, Some(_)) => "stale",
    };
    EdgeHealth {
        device_id: d.id,
        hostname: d.hostname,
        version: d.version,
        enrolled_at: d.enrolled_at,
        status: status.into(),
        last_seen_at: d.last_seen_at,
        last_pull_at: d.last_pull_at,
        last_push_at: d.last_push_at,
        seconds_since_seen: since_seen,
        outbox_depth: d.outbox_depth,
        oldest_unsent_at: d.oldest_unsent_at,
        quarantined: d.quarantined,
    }
}

fn local_day(station: &Station, now: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
    let date = slots::local_date(station, now);
    let start = station
        .timezone
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(now - Duration::hours(24), |t| t.with_timezone(&Utc));
    (date, start, start + Duration::hours(24))
}

#[utoipa::path(get, path = "/api/v1/stations/{id}/dashboard", tag = "stations", params(("id" = u32, Path)),
    responses((status = 200, body = Dashboard), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn dashboard(
    State(state): State<AppState>,
    user: Authorized<Provisioners>,
    ApiPath(id): ApiPath<StationId>,
) -> ApiResult<ApiJson<Dashboard>> {
    user.require_station(&state, id).await?;
    let station = load_station(&state, id).await?;
    let now = Utc::now();
    let reported = state.store.lanes(id).await?;
    let lanes = (1..=station.lanes)
        .map(|lane| match reported.iter().find(|l| l.lane == lane) {
            Some(l) => LaneView {
                lane,
                up: l.up,
                detail: l.detail.clone(),
                since: Some(l.since),
            },
            None => LaneView {
                lane,
                up: true,
                detail: None,
                since: None,
            },
        })
        .collect();
    let (date, from, to) = local_day(&station, now);
    let counts = state.store.day_counts(id, from, to).await?;
    let today = Today {
        date,
        bookings: counts
            .by_status
            .iter()
            .map(|(s, n)| (s.as_str().to_owned(), *n))
            .collect(),
        fills: counts.fills,
        filled_kg: counts.filled_kg,
        rejected_scans: counts.rejected_scans,
        walkins: counts.walkins,
    };
    let offline_after = state.settings.edge.offline_after_secs;
    let edges = state
        .store
        .devices_for_station(id)
        .await?
        .into_iter()
        .map(|d| edge_health(d, now, offline_after))
        .collect();
    let queue = state.store.latest_queue(id).await?.map(|q| QueueView {
        waiting: q.waiting,
        lanes_up: q.lanes_up,
        at: q.at,
    });
    let reconciliation = state
        .store
        .open_cases(id)
        .await?
        .into_iter()
        .map(|c| CaseView {
            id: c.id,
            booking_id: c.booking_id,
            kind: c.kind,
            detail: c.detail,
            created_at: c.created_at,
        })
        .collect();
    Ok(ApiJson(Dashboard {
        station: StationSummary {
            id,
            code: station.code.clone(),
            name: station.name.clone(),
            lanes: station.lanes,
            lanes_in_service: station.lanes_in_service(),
            slot_capacity: slots::capacity(&station, 0),
        },
        generated_at: now,
        lanes,
        queue,
        today,
        edges,
        reconciliation,
    }))
}
