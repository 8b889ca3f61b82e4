//! The station admin's lane board, `/admin/stations/{id}`: the lanes and the queue (live
//! from the public board's event stream), how fresh the box's picture is — red, with how
//! long, when it is stale — lanes in or out of service, the bookings due soon with who
//! said "Coming", a search by code or vehicle, today's numbers, and the day's forecast
//! beside what happened as a chart. The same use cases, and so the same role checks, as
//! `GET /api/v1/stations/{id}/dashboard`.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use fluent_bundle::FluentArgs;
use gasq_shared::StationId;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::session::Web;
use super::stations::not_found;
use crate::app::dashboard::{self, Dashboard, DashboardError};
use crate::app::forecast::{self, DayForecast};
use crate::app::stations::{self, StationChanges};
use crate::app::{access, board, moves};
use crate::domain::{Role, Station, slots};

#[derive(Debug, Default, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

/// `GET /admin/stations`: the stations the caller works at (straight to the board when
/// there is one).
pub async fn my_stations(web: Web) -> Response {
    let Some(actor) = web.actor else {
        return web.redirect("/login?next=/admin/stations");
    };
    let mut mine = Vec::new();
    for s in stations::list(&web.state).await.unwrap_or_default() {
        if access::works_at(&web.state, &actor, s.id)
            .await
            .unwrap_or(false)
        {
            mine.push(s);
        }
    }
    let root = actor.role == Role::SuperAdmin;
    if let ([only], false) = (mine.as_slice(), root) {
        return web.redirect(&format!("/admin/stations/{}", only.id));
    }
    if mine.is_empty() && !root {
        return forbidden(&web);
    }
    let body = html! {
        @if root { (super::network::admin_nav(&web, "/admin/stations")) }
        h1 { (web.t("web-nav-lane-boards")) }
        @for s in &mine {
            div.card.row {
                a href={ "/admin/stations/" (s.id) } { b { (s.name) } " " span.muted { (s.code) } }
                @if root { a href={ "/admin/stations/" (s.id) "/edit" } { (web.t("web-edit")) } }
            }
        }
        @if root { (super::station_edit::new_station_form(&web)) }
    };
    web.respond(
        StatusCode::OK,
        page(&web, &web.t("web-nav-lane-boards"), &body),
    )
}

/// `GET /admin/stations/{id}`.
pub async fn lane_board(
    web: Web,
    Path(id): Path<String>,
    Query(search): Query<Search>,
) -> Response {
    let Ok(id) = id.parse::<u32>() else {
        return not_found(&web);
    };
    render(&web, id, &search.q, None).await
}

async fn render(web: &Web, id: u32, q: &str, notice: Option<Markup>) -> Response {
    let Some(actor) = web.actor else {
        return web.redirect(&format!("/login?next=/admin/stations/{id}"));
    };
    let Ok(id) = StationId::new(id) else {
        return not_found(web);
    };
    let dash = match dashboard::dashboard(&web.state, &actor, id).await {
        Ok(d) => d,
        Err(DashboardError::Access(_)) => return forbidden(web),
        Err(_) => return not_found(web),
    };
    let Ok(station) = stations::get(&web.state, id).await else {
        return not_found(web);
    };
    let today = slots::local_date(&station.policy, Utc::now());
    let day = forecast::day(&web.state, &station, today).await.ok();
    let live = board::of_station(&web.state, &station).await.ok();
    let body = html! {
        (super::office::tabs(web, &station, "board"))
        @if let Some(n) = notice { (n) }
        h1 { (station.name) }
        (freshness(web, &dash))
        section #board data-board={ "/s/" (station.code) "/events" } {
            div.row {
                div.card style="flex:1;text-align:center" {
                    div.muted { (web.t("web-board-waiting")) }
                    div.code #waiting { (live.as_ref().and_then(|b| b.waiting).map_or("–".to_owned(), |w| w.to_string())) }
                }
                div.card style="flex:1;text-align:center" {
                    div.muted { (web.t("web-board-wait")) }
                    div.code #wait data-unit=(web.t("web-minutes-unit")) { (live.as_ref().and_then(|b| b.walkin_wait_minutes).map_or("–".to_owned(), |m| format!("{m} {}", web.t("web-minutes-unit")))) }
                }
            }
            p.error #stale hidden[!live.as_ref().is_some_and(|b| b.stale)] role="status" { (web.t("web-board-stale")) }
            div.slots #lanes {
                @for l in &dash.lanes {
                    (super::board::lane_tile(web, l.lane, l.up, live.as_ref().is_none_or(|b| b.stale)))
                }
            }
            @for l in &dash.lanes {
                @if let Some(d) = &l.detail { p.muted style="margin:.3rem 0" { (web.t("web-board-lane")) " " (l.lane) ": " (d) } }
                @if let Some(s) = &l.serving { p style="margin:.3rem 0" { (serving(web, &station, l.lane, s)) } }
            }
            p #calm hidden data-none="" {}
        }
        (lanes_form(web, &station))
        (today_numbers(web, &dash))
        @if let Some(f) = &day { (chart(web, f)) }
        (expected(web, &station, &dash, q))
    };
    web.respond(StatusCode::OK, page(web, &station.name, &body))
}

/// "Lane 2: fuelling MH12AB1234 since 10:42".
fn serving(web: &Web, station: &Station, lane: u16, s: &dashboard::Serving) -> String {
    let mut args = FluentArgs::new();
    args.set("lane", lane);
    args.set(
        "vehicle",
        s.registration.clone().unwrap_or_else(|| s.code.clone()),
    );
    let since = s
        .since
        .with_timezone(&station.policy.timezone)
        .format("%H:%M");
    args.set("since", since.to_string());
    web.t_with("web-lane-serving", &args)
}

fn forbidden(web: &Web) -> Response {
    let body = html! { h1 { (web.t("web-forbidden")) } };
    web.respond(
        StatusCode::FORBIDDEN,
        page(web, &web.t("web-forbidden"), &body),
    )
}

/// Red, with how long, when no box has pulled lately; green when one has.
fn freshness(web: &Web, dash: &Dashboard) -> Markup {
    let newest = dash
        .edges
        .iter()
        .filter(|e| e.status != "revoked")
        .filter_map(|e| e.seconds_since_pull)
        .min();
    let online = dash.edges.iter().any(|e| e.status == "online");
    let mut args = FluentArgs::new();
    args.set("minutes", newest.map_or(0, |s| s / 60));
    html! {
        @if online {
            p.notice role="status" { (web.t("web-edge-online")) }
        } @else if newest.is_some() {
            p.error role="alert" { (web.t_with("web-edge-stale", &args)) }
        } @else {
            p.error role="alert" { (web.t("web-edge-none")) }
        }
    }
}

fn lanes_form(web: &Web, station: &Station) -> Markup {
    let mut args = FluentArgs::new();
    args.set("up", station.lanes_in_service());
    args.set("all", station.policy.lanes);
    html! {
        form.card method="post" action={ "/admin/stations/" (station.id) "/lanes" } {
            p { (web.t_with("web-lanes-in-service", &args)) }
            input type="hidden" name="csrf" value=(web.csrf);
            @if station.lanes_in_service() > 0 {
                button.danger name="change" value="down" { (web.t("web-lane-out")) }
            }
            @if station.lanes_down > 0 {
                button name="change" value="up" { (web.t("web-lane-back")) }
            }
        }
    }
}

fn today_numbers(web: &Web, dash: &Dashboard) -> Markup {
    let count = |status: &str| dash.today.bookings.get(status).copied().unwrap_or(0);
    html! {
        section.card {
            h2 style="margin-top:0" { (web.t("web-today")) }
            div.row {
                span { (web.t("web-today-booked")) ": " b { (count("confirmed") + count("redeemed") + count("completed")) } }
                span { (web.t("web-today-fills")) ": " b { (dash.today.fills) } " (" (format!("{:.1}", dash.today.filled_kg)) " kg)" }
                span { (web.t("web-today-walkins")) ": " b { (dash.today.walkins) } }
            }
        }
    }
}

/// Expected arrivals (outlined) against those that came (filled), hour by hour.
fn chart(web: &Web, f: &DayForecast) -> Markup {
    let top = f
        .hours
        .iter()
        .map(|h| {
            h.expected_arrivals
                .max(f64::from(h.actual_arrivals.unwrap_or(0)))
        })
        .fold(1.0_f64, f64::max);
    let (w, h) = (24.0 * 14.0, 120.0);
    let mut bars = String::new();
    for (i, hour) in f.hours.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)] // 24 hours
        let x = i as f64 * 14.0;
        let expected = hour.expected_arrivals / top * h;
        if let Some(actual) = hour.actual_arrivals {
            let a = f64::from(actual) / top * h;
            bars.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"{a:.1}\" fill=\"#0b6e4f\"/>",
                x + 2.0,
                h - a
            ));
        }
        bars.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"{expected:.1}\" fill=\"none\" stroke=\"#f4a261\" stroke-width=\"2\"/>",
            x + 2.0,
            h - expected
        ));
        if hour.hour % 6 == 0 {
            bars.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#5b6472\">{:02}</text>",
                h + 12.0,
                hour.hour
            ));
        }
    }
    html! {
        section.card {
            h2 style="margin-top:0" { (web.t("web-forecast-vs-actual")) }
            svg role="img" aria-label=(web.t("web-forecast-vs-actual")) viewBox={ "0 0 " (w) " " (h + 16.0) } width="100%" {
                (PreEscaped(bars))
            }
            p.muted {
                span style="color:#f4a261" { "▭ " } (web.t("web-chart-expected")) " · "
                span style="color:#0b6e4f" { "■ " } (web.t("web-chart-actual"))
            }
        }
    }
}

fn expected(web: &Web, station: &Station, dash: &Dashboard, q: &str) -> Markup {
    let q = q.trim().to_uppercase().replace([' ', '-'], "");
    let shown: Vec<_> = dash
        .expected
        .iter()
        .filter(|e| {
            q.is_empty()
                || e.code.contains(&q)
                || e.registration.as_deref().is_some_and(|r| r.contains(&q))
        })
        .collect();
    html! {
        section.card {
            h2 style="margin-top:0" { (web.t("web-expected")) }
            form method="get" action={ "/admin/stations/" (station.id) } {
                label for="q" { (web.t("web-search-label")) }
                input #q name="q" value=(q) inputmode="search" autocomplete="off";
            }
            @if shown.is_empty() { p.muted { (web.t("web-expected-none")) } }
            @for e in shown {
                div.row style="border-top:1px solid #d9dde3;padding:.4rem 0" {
                    span { b { (e.slot_start.with_timezone(&station.policy.timezone).format("%H:%M")) } " " (e.registration.as_deref().unwrap_or("")) }
                    span.muted { (e.code) }
                    @if e.coming { span.status.confirmed { (web.t("web-coming")) } }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LaneChange {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    change: String,
}

/// `POST /admin/stations/{id}/lanes`: a lane out of service, or back. Bookings that no
/// longer fit are moved or refunded, as after the API's edit.
pub async fn change_lanes(web: Web, Path(id): Path<String>, Form(f): Form<LaneChange>) -> Response {
    let Ok(id) = id.parse::<u32>() else {
        return not_found(&web);
    };
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let Some(actor) = web
        .actor
        .filter(|a| matches!(a.role, Role::StationAdmin | Role::SuperAdmin))
    else {
        return forbidden(&web);
    };
    let Ok(sid) = StationId::new(id) else {
        return not_found(&web);
    };
    let Ok(station) = stations::get(&web.state, sid).await else {
        return not_found(&web);
    };
    let down = match f.change.as_str() {
        "down" => station
            .lanes_down
            .saturating_add(1)
            .min(station.policy.lanes),
        "up" => station.lanes_down.saturating_sub(1),
        _ => return render(&web, id, "", None).await,
    };
    let changes = StationChanges {
        lanes_down: Some(down),
        ..StationChanges::default()
    };
    let notice = match stations::update(&web.state, &actor, sid, changes).await {
        Ok(saved) => {
            let _ = moves::settle_overflow(&web.state, saved.id).await;
            html! { p.notice role="status" { (web.t("web-lanes-saved")) } }
        }
        Err(_) => error(&web.t("web-try-later")),
    };
    render(&web, id, "", Some(notice)).await
}
