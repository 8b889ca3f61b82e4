//! What actually happened in a day's hours so far, beside the forecast: the arrivals
//! the station's edge reported (redemptions and walk-ins) and the fewest lanes in
//! service during each hour (from the lane history: edge faults and admin edits).

use chrono::{DateTime, Duration, Utc};

use super::App;
use crate::domain::Station;
use crate::store::StoreResult;

/// One hour that has begun.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourActual {
    pub arrivals: u32,
    pub lanes_in_service: u16,
}

/// For each hour starting at `starts` (in order): what happened, `None` for hours that
/// have not begun by `now`.
pub async fn hours(
    app: &App,
    station: &Station,
    starts: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> StoreResult<Vec<Option<HourActual>>> {
    let (Some(first), Some(last)) = (starts.first(), starts.last()) else {
        return Ok(Vec::new());
    };
    if *first > now {
        return Ok(vec![None; starts.len()]);
    }
    let end = *last + Duration::hours(1);
    let demand = app.store.demand_history(station.id, *first, end).await?;
    let lanes = app.store.lane_history(station.id, *first, end).await?;
    Ok(starts
        .iter()
        .map(|start| {
            if *start > now {
                return None;
            }
            let until = *start + Duration::hours(1);
            let arrivals = demand
                .arrivals
                .iter()
                .filter(|(at, _)| start <= at && *at < until)
                .count();
            Some(HourActual {
                arrivals: u32::try_from(arrivals).unwrap_or(u32::MAX),
                lanes_in_service: lanes.fewest(*start, until.min(now), station.lanes_in_service()),
            })
        })
        .collect())
}
