//! The history of a station's lanes in service: every change is a row, so the
//! forecast can show the lanes that actually served each hour beside its lane plan.

use chrono::{DateTime, Utc};
use gasq_shared::StationId;

use super::super::StoreResult;
use super::super::db::{Db, Tx, query};

/// What the lanes in service were over a span of time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaneHistory {
    /// In service when the span began; `None` when nothing has changed since the
    /// history began (then they are what they are now).
    pub at_start: Option<u16>,
    /// Each change within the span: when, and the lanes in service after it.
    pub changes: Vec<(DateTime<Utc>, u16)>,
}

impl LaneHistory {
    /// The fewest lanes in service during `[from, to)` (within the span read),
    /// `now_in_service` standing for "unchanged since the history began".
    pub fn fewest(&self, from: DateTime<Utc>, to: DateTime<Utc>, now_in_service: u16) -> u16 {
        let before = self
            .changes
            .iter()
            .take_while(|(at, _)| *at < from)
            .last()
            .map(|(_, lanes)| *lanes)
            .or(self.at_start)
            .unwrap_or(now_in_service);
        self.changes
            .iter()
            .filter(|(at, _)| from <= *at && *at < to)
            .map(|(_, lanes)| *lanes)
            .fold(before, u16::min)
    }
}

/// Records a change of the lanes in service (nothing when they did not change).
pub(crate) async fn record(
    tx: &mut Tx,
    station: StationId,
    before: u16,
    after: u16,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    if before == after {
        return Ok(());
    }
    tx.execute(
        query(
            "INSERT INTO lane_history (station_id, at, lanes_before, lanes_after) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(station)
        .bind(at)
        .bind(i32::from(before))
        .bind(i32::from(after)),
    )
    .await?;
    Ok(())
}

pub(super) async fn history(
    db: &Db,
    station: StationId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<LaneHistory> {
    let lanes = |n: i32| u16::try_from(n).unwrap_or(0);
    let last_before: Option<(i32,)> = db
        .fetch_optional(
            query(
                "SELECT lanes_after FROM lane_history WHERE station_id = $1 AND at < $2 \
                 ORDER BY at DESC, id DESC LIMIT 1",
            )
            .bind(station)
            .bind(from),
        )
        .await?;
    let within: Vec<(DateTime<Utc>, i32, i32)> = db
        .fetch_all(
            query(
                "SELECT at, lanes_before, lanes_after FROM lane_history \
                 WHERE station_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id",
            )
            .bind(station)
            .bind(from)
            .bind(to),
        )
        .await?;
    let at_start = match (last_before, within.first()) {
        (Some((after,)), _) => Some(lanes(after)),
        (None, Some((_, before, _))) => Some(lanes(*before)),
        (None, None) => None,
    };
    Ok(LaneHistory {
        at_start,
        changes: within
            .into_iter()
            .map(|(at, _, after)| (at, lanes(after)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn the_fewest_lanes_of_an_hour_count_a_fault_inside_it_and_the_state_carried_in() {
        let t0 = Utc::now();
        let h = LaneHistory {
            at_start: Some(4),
            changes: vec![
                (t0 + Duration::minutes(70), 2),
                (t0 + Duration::minutes(100), 4),
            ],
        };
        let hour = |n: i64| (t0 + Duration::hours(n), t0 + Duration::hours(n + 1));
        let (a, b) = hour(0);
        assert_eq!(h.fewest(a, b, 9), 4);
        let (a, b) = hour(1);
        assert_eq!(h.fewest(a, b, 9), 2);
        let (a, b) = hour(2);
        assert_eq!(h.fewest(a, b, 9), 4);
        assert_eq!(LaneHistory::default().fewest(a, b, 3), 3);
    }
}
