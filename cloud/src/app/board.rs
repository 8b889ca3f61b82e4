//! The public wait board of a station (docs/architecture.md, "Web"), for a forecourt
//! screen or a driver's phone: its lanes, how many are waiting, how long a walk-in can
//! expect to wait, the next calm slots, and how fresh all that is. No login, and nothing
//! personal: it is built from counts and lane states only.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::App;
use super::slots::{self as slot_views, RushLevel};
use crate::domain::{Station, slots};
use crate::store::StoreError;

/// How many calm slots the board lists.
const CALM_SLOTS: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct BoardLane {
    pub lane: u16,
    pub up: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalmSlot {
    pub start: DateTime<Utc>,
    /// The station's local `HH:MM`.
    pub time: String,
    pub available: u32,
}

/// What the board shows.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub name: String,
    pub code: String,
    pub lanes: Vec<BoardLane>,
    pub lanes_up: u16,
    /// Vehicles waiting, as the station's box last reported (`null`: never reported).
    pub waiting: Option<i64>,
    /// What a walk-in arriving now can expect to wait, minutes (`null`: unknown).
    pub walkin_wait_minutes: Option<i64>,
    pub calm_slots: Vec<CalmSlot>,
    /// When the station's box last reported; the board says so when it is stale.
    pub reported_at: Option<DateTime<Utc>>,
    pub stale: bool,
    pub generated_at: DateTime<Utc>,
}

/// The board of `station` now.
pub async fn of_station(app: &App, station: &Station) -> Result<Board, StoreError> {
    let now = Utc::now();
    let reported = app.store.lanes(station.id).await?;
    let lanes: Vec<BoardLane> = lanes_up(station, &reported)
        .into_iter()
        .enumerate()
        .map(|(i, up)| BoardLane {
            lane: u16::try_from(i + 1).unwrap_or(u16::MAX),
            up,
        })
        .collect();
    let lanes_up = station.lanes_in_service();
    let queue = app.store.latest_queue(station.id).await?;
    let last_pull = app
        .store
        .devices_for_station(station.id)
        .await?
        .into_iter()
        .filter(|d| d.revoked_at.is_none())
        .filter_map(|d| d.last_pull_at)
        .max();
    let stale =
        last_pull.is_none_or(|t| (now - t).num_seconds() > app.settings.edge.offline_after_secs);
    let service = i64::from(station.policy.service_minutes.max(1));
    let walkin_wait_minutes = match (&queue, stale) {
        (Some(q), false) if lanes_up > 0 => Some(q.waiting * service / i64::from(lanes_up)),
        _ => None,
    };
    Ok(Board {
        name: station.name.clone(),
        code: station.code.to_string(),
        lanes,
        lanes_up,
        waiting: queue.as_ref().filter(|_| !stale).map(|q| q.waiting),
        walkin_wait_minutes,
        calm_slots: calm_slots(app, station, now).await?,
        reported_at: last_pull,
        stale,
        generated_at: now,
    })
}

/// Whether each lane (1, 2, …) is up: those the box reported at fault are down, and
/// when the station has more lanes out of service than that (an admin took some out,
/// which names no lane), the highest-numbered of the rest are shown down too — so the
/// lanes shown up always add up to the lanes in service.
pub fn lanes_up(station: &Station, reported: &[crate::store::LaneState]) -> Vec<bool> {
    let mut up: Vec<bool> = (1..=station.policy.lanes)
        .map(|lane| {
            reported
                .iter()
                .find(|l| l.lane == lane)
                .is_none_or(|l| l.up)
        })
        .collect();
    let mut extra = usize::from(station.policy.lanes - station.lanes_in_service())
        .saturating_sub(up.iter().filter(|u| !**u).count());
    for lane in up.iter_mut().rev() {
        if extra == 0 {
            break;
        }
        if *lane {
            *lane = false;
            extra -= 1;
        }
    }
    up
}

/// The next free slots the forecast does not call busy, today then tomorrow.
async fn calm_slots(
    app: &App,
    station: &Station,
    now: DateTime<Utc>,
) -> Result<Vec<CalmSlot>, StoreError> {
    let today = slots::local_date(&station.policy, now);
    let mut out = Vec::new();
    for date in [today, today + Duration::days(1)] {
        for s in slot_views::of_station(app, station, date, now).await? {
            if out.len() == CALM_SLOTS {
                return Ok(out);
            }
            if s.start > now && s.available > 0 && s.rush_level == RushLevel::Low {
                out.push(CalmSlot {
                    start: s.start,
                    time: s
                        .start
                        .with_timezone(&station.policy.timezone)
                        .format("%H:%M")
                        .to_string(),
                    available: s.available,
                });
            }
        }
    }
    Ok(out)
}
