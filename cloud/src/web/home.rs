//! `GET /`: the stations, nearest first when the browser shares its position (the
//! page's script asks for it and reloads with `?lat=&lon=`), each with its rush now and
//! its next free slot.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use maud::html;
use serde::Deserialize;

use super::layout::page;
use super::session::Web;
use super::stations::{busy, hhmm, rush_class, rush_word};
use crate::app::slots as slot_views;
use crate::app::stations;
use crate::domain::geo::distance_km;
use crate::domain::slots;

/// Query parameters are read leniently: one that does not parse is as if absent (a
/// page, not a 400, for a mangled link).
#[derive(Debug, Default, Deserialize)]
pub struct Near {
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

/// `GET /`: the stations, nearest first with `?lat=&lon=` (the page's script asks the
/// browser), each with its rush now and its next free slot.
pub async fn home(web: Web, Query(near): Query<Near>) -> Response {
    let Ok(all) = stations::list(&web.state).await else {
        return busy(&web);
    };
    let now = Utc::now();
    let here = near
        .lat
        .parse::<f64>()
        .ok()
        .zip(near.lon.parse::<f64>().ok())
        .filter(|(lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0);
    let mut rows = Vec::new();
    for s in all {
        let today = slots::local_date(&s.policy, now);
        let day = slot_views::of_station(&web.state, &s, today, now)
            .await
            .unwrap_or_default();
        let current = day.iter().find(|v| v.start <= now && now < v.end);
        let next_free = day.iter().find(|v| v.end > now && v.available > 0);
        let km = here.map(|(lat, lon)| distance_km(lat, lon, s.lat, s.lon));
        rows.push((
            s,
            current.map(|c| c.rush_level),
            next_free.map(|n| n.start),
            km,
        ));
    }
    if here.is_some() {
        rows.sort_by(|a, b| a.3.unwrap_or(f64::MAX).total_cmp(&b.3.unwrap_or(f64::MAX)));
    } else {
        rows.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    }
    let body = html! {
        h1 { (web.t("web-stations-title")) }
        @if here.is_none() {
            p { button.plain type="button" data-locate { (web.t("web-use-location")) } }
        }
        @for (s, rush, next, km) in &rows {
            a.card style="display:block;text-decoration:none;color:inherit" href={ "/stations/" (s.id) } {
                div.row {
                    b { (s.name) }
                    @if let Some(km) = km { span.muted { (format!("{km:.1} km")) } }
                }
                div.row {
                    @if let Some(r) = rush {
                        span class={ "status " (rush_class(*r)) } { (web.t("web-now")) ": " (rush_word(&web, *r)) }
                    }
                    span.muted {
                        @match next {
                            Some(t) => { (web.t("web-next-free")) " " (hhmm(s, *t)) }
                            None => { (web.t("web-none-free-today")) }
                        }
                    }
                }
            }
        }
        @if rows.is_empty() { p { (web.t("web-no-stations")) } }
    };
    web.respond(
        StatusCode::OK,
        page(&web, &web.t("web-stations-title"), &body),
    )
}
