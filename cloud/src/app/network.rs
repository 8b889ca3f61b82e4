//! The network at a glance, for super admins: per station today's utilisation,
//! no-show rate, walk-in share, takings, forecast error and edge freshness, with the
//! stations that need someone's attention first.

use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::{App, dashboard, forecast, slots, stations};
use crate::app::payments::receipt;
use crate::domain::{Actor, Role, Station};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("only super admins see the whole network")]
    NotSuperAdmin,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One station's day so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StationHealth {
    pub station_id: u32,
    pub code: String,
    pub name: String,
    /// Places booked today out of the places today's slots offer, percent.
    pub utilisation_percent: Option<u32>,
    /// Of today's bookings whose slot has passed, those nobody came for, percent.
    pub no_show_percent: Option<u32>,
    /// Of today's fills, those without a booking, percent.
    pub walkin_percent: Option<u32>,
    /// Net takings today (captured less refunds and gateway fees), paise.
    pub net_paise: i64,
    /// Mean absolute difference between forecast and actual arrivals over today's
    /// begun hours, arrivals an hour.
    pub forecast_error: Option<f64>,
    /// Seconds since the station's freshest box last pulled; `None`: no box ever did.
    pub edge_seconds: Option<i64>,
    pub lanes_down: u16,
    pub open_cases: usize,
    /// Why it needs attention, worst first (empty when it does not).
    pub attention: Vec<&'static str>,
}

/// A box this long without a pull is stale (as on the lane board).
const STALE_SECS: i64 = 120;

/// Every station's day, the ones needing attention first.
pub async fn overview(app: &App, actor: &Actor) -> Result<Vec<StationHealth>, NetworkError> {
    if actor.role != Role::SuperAdmin {
        return Err(NetworkError::NotSuperAdmin);
    }
    let all = stations::list(app).await.map_err(|e| match e {
        stations::StationError::Store(s) => s,
        other => StoreError::corrupt(other.to_string()),
    })?;
    let mut out = Vec::with_capacity(all.len());
    for s in &all {
        out.push(health(app, actor, s).await);
    }
    out.sort_by_key(|h| (std::cmp::Reverse(h.attention.len()), h.code.clone()));
    Ok(out)
}

fn percent(part: i64, whole: i64) -> Option<u32> {
    (whole > 0).then(|| u32::try_from(part * 100 / whole).unwrap_or(u32::MAX))
}

/// One station; a part that cannot be worked out is left out, never fails the page.
async fn health(app: &App, actor: &Actor, s: &Station) -> StationHealth {
    let dash = dashboard::dashboard(app, actor, s.id).await.ok();
    let count = |status: &str| {
        dash.as_ref()
            .and_then(|d| d.today.bookings.get(status).copied())
            .unwrap_or(0)
    };
    let booked = count("confirmed") + count("redeemed") + count("completed") + count("no_show");
    let offered: i64 = slots::day(app, s.id, None)
        .await
        .map(|v| v.iter().map(|slot| i64::from(slot.capacity)).sum())
        .unwrap_or(0);
    let came = count("redeemed") + count("completed");
    let walkins = dash.as_ref().map_or(0, |d| d.today.walkins);
    let fills = dash.as_ref().map_or(0, |d| d.today.fills);
    let today = crate::domain::slots::local_date(&s.policy, Utc::now());
    let net_paise = receipt::takings(app, actor, s.id, today, today)
        .await
        .ok()
        .and_then(|d| d.first().map(|d| d.net_paise))
        .unwrap_or(0);
    let forecast_error = forecast::day(app, s, today).await.ok().and_then(|f| {
        let begun: Vec<f64> = f
            .hours
            .iter()
            .filter_map(|h| {
                h.actual_arrivals
                    .map(|a| (h.expected_arrivals - f64::from(a)).abs())
            })
            .collect();
        #[allow(clippy::cast_precision_loss)] // at most 24 hours
        (!begun.is_empty()).then(|| begun.iter().sum::<f64>() / begun.len() as f64)
    });
    let edge_seconds = dash.as_ref().and_then(|d| {
        d.edges
            .iter()
            .filter(|e| e.status != "revoked")
            .filter_map(|e| e.seconds_since_pull)
            .min()
    });
    let open_cases = dash.as_ref().map_or(0, |d| d.reconciliation.len());
    let mut attention = Vec::new();
    match edge_seconds {
        None => attention.push("no-box"),
        Some(secs) if secs > STALE_SECS => attention.push("box-stale"),
        Some(_) => {}
    }
    if s.lanes_down > 0 {
        attention.push("lanes-down");
    }
    if open_cases > 0 {
        attention.push("cases");
    }
    StationHealth {
        station_id: s.id.get(),
        code: s.code.to_string(),
        name: s.name.clone(),
        utilisation_percent: percent(booked, offered),
        no_show_percent: percent(count("no_show"), came + count("no_show")),
        walkin_percent: percent(walkins, fills.max(walkins)),
        net_paise,
        forecast_error,
        edge_seconds,
        lanes_down: s.lanes_down,
        open_cases,
        attention,
    }
}
