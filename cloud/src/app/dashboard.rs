//! A station's dashboard: lanes, queue, today's numbers, the health of each edge box
//! (how stale its data is), and open reconciliation cases.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use gasq_shared::{BookingId, DeviceId, StationCode, StationId};
use serde::Serialize;
use utoipa::ToSchema;

use super::App;
use super::access::{self, AccessError};
use super::stations::{self, StationError};
use crate::domain::{Actor, Station, slots};
use crate::store::{Device, LaneState, StoreError};

/// How far ahead the board lists the bookings it expects, and at most how many.
const EXPECTED_HOURS: i64 = 2;
const EXPECTED_MAX: i64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Station(#[from] StationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub station: StationSummary,
    pub generated_at: DateTime<Utc>,
    pub lanes: Vec<LaneView>,
    /// The latest queue the edge reported; `null` if it never did.
    pub queue: Option<QueueView>,
    pub today: Today,
    /// Bookings due in the next two hours (and those whose slot is on now), earliest
    /// first, with the drivers' answers to their reminders.
    pub expected: Vec<ExpectedBooking>,
    pub edges: Vec<EdgeHealth>,
    pub reconciliation: Vec<CaseView>,
}

/// A booking the station expects soon.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpectedBooking {
    pub booking_id: BookingId,
    pub code: String,
    pub registration: Option<String>,
    pub slot_start: DateTime<Utc>,
    pub status: String,
    /// The driver answered the reminder "Coming".
    pub coming: bool,
    pub coming_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationSummary {
    pub id: StationId,
    pub code: StationCode,
    pub name: String,
    pub lanes: u16,
    pub lanes_in_service: u16,
    /// Bookable places per slot right now.
    pub slot_capacity: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LaneView {
    pub lane: u16,
    pub up: bool,
    pub detail: Option<String>,
    /// Since when the lane is in this state (`null`: never reported down).
    pub since: Option<DateTime<Utc>>,
    /// The booking the lane is fuelling now (redeemed there, its fill not yet in).
    pub serving: Option<Serving>,
}

/// A vehicle being fuelled at a lane.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Serving {
    pub registration: Option<String>,
    pub code: String,
    /// When its token was accepted at the lane.
    pub since: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    pub waiting: i64,
    pub lanes_up: i64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Today {
    /// The station's local date.
    pub date: NaiveDate,
    /// Bookings with a slot today, by status.
    pub bookings: BTreeMap<String, i64>,
    pub fills: i64,
    pub filled_kg: f64,
    pub rejected_scans: i64,
    pub walkins: i64,
}

/// How fresh an edge box's picture of the station is.
#[derive(Debug, Serialize, ToSchema)]
pub struct EdgeHealth {
    pub device_id: DeviceId,
    pub hostname: Option<String>,
    pub version: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    /// `online` (pulled recently), `stale` (no pull lately: its lanes may not know of
    /// recent cancellations), `never_synced`, or `revoked`. Measured from the last
    /// pull, never from a push: an edge that pushes but cannot pull is not current.
    pub status: String,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_push_at: Option<DateTime<Utc>>,
    pub seconds_since_seen: Option<i64>,
    /// Seconds since the last pull: how stale the edge's knowledge of the cloud is.
    pub seconds_since_pull: Option<i64>,
    pub outbox_depth: Option<i64>,
    pub oldest_unsent_at: Option<DateTime<Utc>>,
    /// Events the edge set aside because the cloud kept refusing them: records of this
    /// station the cloud does not have (`null`: the edge has not said).
    pub quarantined: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: uuid::Uuid,
    pub booking_id: Option<BookingId>,
    pub kind: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// How long after its redemption a booking may still be shown as fuelling.
const SERVING_WINDOW_MINUTES: i64 = 30;

/// The dashboard of a station the caller works at.
pub async fn dashboard(
    app: &App,
    user: &Actor,
    id: StationId,
) -> Result<Dashboard, DashboardError> {
    access::require_station(app, user, id).await?;
    let station = stations::get(app, id).await?;
    let now = Utc::now();
    let mut lanes = lane_views(&station, &app.store.lanes(id).await?);
    // A fill takes minutes: a redemption older than this whose fill never came is not
    // shown as still fuelling.
    let serving_since = now - Duration::minutes(SERVING_WINDOW_MINUTES);
    for (lane, registration, code, since) in app.store.being_served(id, serving_since).await? {
        if let Some(view) = lanes
            .iter_mut()
            .find(|l| l.lane == lane && l.serving.is_none())
        {
            view.serving = Some(Serving {
                registration,
                code,
                since,
            });
        }
    }
    let offline_after = app.settings.edge.offline_after_secs;
    let edges = app
        .store
        .devices_for_station(id)
        .await?
        .into_iter()
        .map(|d| edge_health(d, now, offline_after))
        .collect();
    let queue = app.store.latest_queue(id).await?.map(|q| QueueView {
        waiting: q.waiting,
        lanes_up: q.lanes_up,
        at: q.at,
    });
    let reconciliation = app
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
    let expected = app
        .store
        .live_bookings_between(id, now, now + Duration::hours(EXPECTED_HOURS), EXPECTED_MAX)
        .await?
        .into_iter()
        .map(|b| ExpectedBooking {
            booking_id: b.id,
            code: b.code,
            registration: b.registration,
            slot_start: b.slot_start,
            status: b.status.as_str().to_owned(),
            coming: b.coming_at.is_some(),
            coming_at: b.coming_at,
        })
        .collect();
    Ok(Dashboard {
        today: today(app, &station, now).await?,
        expected,
        station: summary(&station),
        generated_at: now,
        lanes,
        queue,
        edges,
        reconciliation,
    })
}

fn summary(station: &Station) -> StationSummary {
    StationSummary {
        id: station.id,
        code: station.code.clone(),
        name: station.name.clone(),
        lanes: station.policy.lanes,
        lanes_in_service: station.lanes_in_service(),
        slot_capacity: slots::capacity(station, 0),
    }
}

/// Every lane of the station; one the edge never reported is up, unless the station has
/// lanes out of service the box did not name (`board::lanes_up`).
fn lane_views(station: &Station, reported: &[LaneState]) -> Vec<LaneView> {
    let up = super::board::lanes_up(station, reported);
    (1..=station.policy.lanes)
        .zip(up)
        .map(|(lane, up)| {
            let seen = reported.iter().find(|l| l.lane == lane);
            LaneView {
                lane,
                up,
                detail: seen.and_then(|l| l.detail.clone()),
                since: seen.map(|l| l.since),
                serving: None,
            }
        })
        .collect()
}

async fn today(app: &App, station: &Station, now: DateTime<Utc>) -> Result<Today, StoreError> {
    let (date, from, to) = slots::local_day(&station.policy, now);
    let counts = app.store.day_counts(station.id, from, to).await?;
    Ok(Today {
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
    })
}

fn edge_health(d: Device, now: DateTime<Utc>, offline_after: i64) -> EdgeHealth {
    let since_seen = d.last_seen_at.map(|t| (now - t).num_seconds().max(0));
    let since_pull = d.last_pull_at.map(|t| (now - t).num_seconds().max(0));
    let status = match (d.revoked_at, since_pull) {
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
        seconds_since_pull: since_pull,
        outbox_depth: d.outbox_depth,
        oldest_unsent_at: d.oldest_unsent_at,
        quarantined: d.quarantined,
    }
}
