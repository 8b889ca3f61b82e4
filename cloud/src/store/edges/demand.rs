//! What the demand forecast reads of a station's history: when vehicles arrived
//! (redemptions and walk-ins the edge reported) and how much gas a fill takes.

use chrono::{DateTime, Utc};
use gasq_shared::StationId;

use crate::store::StoreResult;
use crate::store::db::{Db, query};

/// A station's demand history over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandHistory {
    /// The station's first reported event of any kind: where its history begins.
    pub first_event_at: Option<DateTime<Utc>>,
    /// Each arrival in the window: a redemption, or a walk-in (`true`).
    pub arrivals: Vec<(DateTime<Utc>, bool)>,
    /// Mean kilograms of the window's recorded fills of bookings (`None` without any).
    pub mean_fill_kg: Option<f64>,
}

pub(super) async fn demand_history(
    db: &Db,
    station: StationId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<DemandHistory> {
    let (first_event_at,): (Option<DateTime<Utc>>,) = db
        .fetch_one(query("SELECT MIN(at) FROM edge_events WHERE station_id = $1").bind(station))
        .await?;
    let arrivals: Vec<(DateTime<Utc>, String)> = db
        .fetch_all(
            query(
                "SELECT at, kind FROM edge_events WHERE station_id = $1 \
                 AND kind IN ('redeemed', 'walkin') AND at >= $2 AND at < $3",
            )
            .bind(station)
            .bind(from)
            .bind(to),
        )
        .await?;
    let (fills, centikg): (i64, Option<i64>) = db
        .fetch_one(
            query(
                "SELECT COUNT(*), SUM(filled_centikg) FROM bookings WHERE station_id = $1 \
                 AND completed_at >= $2 AND completed_at < $3 AND filled_centikg > 0",
            )
            .bind(station)
            .bind(from)
            .bind(to),
        )
        .await?;
    #[allow(clippy::cast_precision_loss)] // counts of fills: far below 2^52
    let mean_fill_kg = (fills > 0).then(|| centikg.unwrap_or(0) as f64 / 100.0 / fills as f64);
    Ok(DemandHistory {
        first_event_at,
        arrivals: arrivals
            .into_iter()
            .map(|(t, kind)| (t, kind == "walkin"))
            .collect(),
        mean_fill_kg,
    })
}
