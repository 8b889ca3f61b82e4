//! The driver's bookings: the list (cards that fit a phone), and one booking's page with
//! its QR (inline SVG), its lane code, the station and directions, and what the driver
//! can do next — pay, cancel, say Coming / Not coming, or refresh the token when running
//! late. The page is kept by the service worker, so a booking once opened shows its QR
//! with no network.

use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use fluent_bundle::FluentArgs;
use gasq_shared::BookingId;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::session::Web;
use super::stations::{busy, not_found};
use crate::app::grace::{self, RefreshRequest};
use crate::app::reminders::{self, Answer};
use crate::app::{bookings, stations, tokens};
use crate::domain::{Actor, Booking, BookingStatus, Role, Station};

fn driver(web: &Web) -> Option<Actor> {
    web.actor.filter(|a| a.role == Role::Driver)
}

fn status_word(web: &Web, s: BookingStatus) -> String {
    web.t(&format!("web-status-{}", s.as_str().replace('_', "-")))
}

fn when(station: Option<&Station>, b: &Booking) -> String {
    match station {
        Some(s) => b
            .slot_start
            .with_timezone(&s.policy.timezone)
            .format("%a %d %b, %H:%M")
            .to_string(),
        None => b.slot_start.format("%a %d %b, %H:%M UTC").to_string(),
    }
}

/// `GET /bookings`.
pub async fn mine(web: Web) -> Response {
    let Some(actor) = driver(&web) else {
        return web.redirect("/login?next=/bookings");
    };
    let Ok(list) = bookings::mine(&web.state, &actor).await else {
        return busy(&web);
    };
    let all = stations::list(&web.state).await.unwrap_or_default();
    let body = html! {
        h1 { (web.t("web-bookings-title")) }
        @if list.is_empty() {
            p { (web.t("web-no-bookings")) " " a href="/" { (web.t("web-nav-stations")) } }
        }
        @for b in &list {
            @let station = all.iter().find(|s| s.id == b.station_id);
            a.card style="display:block;text-decoration:none;color:inherit" href={ "/bookings/" (b.id) } {
                div.row {
                    b { (station.map_or("", |s| s.name.as_str())) }
                    span class={ "status " (b.status.as_str()) } { (status_word(&web, b.status)) }
                }
                div.row {
                    span { (when(station, b)) }
                    span.muted { (web.t("web-code")) " " (b.code) }
                }
            }
        }
    };
    web.respond(
        StatusCode::OK,
        page(&web, &web.t("web-bookings-title"), &body),
    )
}

/// `GET /bookings/{id}`.
pub async fn show(web: Web, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<BookingId>() else {
        return not_found(&web);
    };
    let Some(actor) = driver(&web) else {
        return web.redirect(&format!("/login?next=/bookings/{id}"));
    };
    let Ok(b) = bookings::visible(&web.state, &actor, id).await else {
        return not_found(&web);
    };
    let body = booking_page(&web, &actor, &b, None).await;
    web.respond(
        StatusCode::OK,
        page(&web, &web.t("web-booking-title"), &body),
    )
}

async fn booking_page(web: &Web, actor: &Actor, b: &Booking, notice: Option<Markup>) -> Markup {
    let station = stations::get(&web.state, b.station_id).await.ok();
    let live = matches!(b.status, BookingStatus::Confirmed);
    let qr = if live {
        tokens::qr_code(&web.state, actor, b.id)
            .await
            .ok()
            .map(|q| crate::qr::svg(&q))
    } else {
        None
    };
    let tz = station.as_ref().map(|s| s.policy.timezone);
    let local = |t: chrono::DateTime<Utc>| {
        tz.map_or_else(
            || t.format("%H:%M UTC").to_string(),
            |tz| t.with_timezone(&tz).format("%H:%M").to_string(),
        )
    };
    let mut window = FluentArgs::new();
    window.set("from", local(b.valid_from));
    window.set("until", local(b.valid_until));
    html! {
        @if let Some(n) = notice { (n) }
        section.card {
            div.row {
                h1 style="margin:0" { (station.as_ref().map_or("", |s| s.name.as_str())) }
                span class={ "status " (b.status.as_str()) } { (status_word(web, b.status)) }
            }
            p { (when(station.as_ref(), b)) }
            @if let Some(s) = &station {
                p { a href={ "https://www.google.com/maps/dir/?api=1&destination=" (s.lat) "," (s.lon) } rel="noopener" { (web.t("web-directions")) } }
            }
            @if let Some(svg) = &qr {
                figure.qr role="img" aria-label=(web.t("web-qr-alt")) title="QR" {
                    (PreEscaped(svg.replacen("<svg", "<svg aria-hidden=\"true\"", 1)))
                }
                p.muted style="text-align:center" { (web.t_with("web-valid-window", &window)) }
            }
            @if live {
                p.muted style="text-align:center;margin-bottom:0" { (web.t("web-code-hint")) }
                p.code { (b.code) }
            } @else {
                p.muted { (web.t("web-code")) " " (b.code) }
            }
        }
        @if b.status == BookingStatus::PendingPayment {
            a.button href={ "/pay/" (b.id) } { (web.t("web-pay-now")) }
        }
        @if live {
            section.card {
                h2 { (web.t("web-coming-question")) }
                @if b.coming_at.is_some() { p.notice { (web.t("web-coming-noted")) } }
                form method="post" action={ "/bookings/" (b.id) "/answer" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button name="answer" value="coming" { (web.t("web-coming")) }
                    button.danger name="answer" value="not_coming" { (web.t("web-not-coming")) }
                }
                form method="post" action={ "/bookings/" (b.id) "/late" } data-late {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="lat";
                    input type="hidden" name="lon";
                    button.plain { (web.t("web-running-late")) }
                }
            }
        }
        @if matches!(b.status, BookingStatus::Confirmed | BookingStatus::PendingPayment) {
            form method="post" action={ "/bookings/" (b.id) "/cancel" } {
                input type="hidden" name="csrf" value=(web.csrf);
                button.danger { (web.t("web-cancel")) }
            }
        }
        @if b.paid_paise.is_some() || b.status == BookingStatus::Completed {
            p { a href={ "/bookings/" (b.id) "/receipt" } { (web.t("web-receipt")) } }
        }
        p { a href="/bookings" { (web.t("web-nav-bookings")) } }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Act {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

/// `POST /bookings/{id}/cancel`, `…/answer`, `…/late`: the change, then the page again
/// with what happened.
pub async fn act(
    web: Web,
    Path((id, what)): Path<(String, String)>,
    Form(f): Form<Act>,
) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let Ok(id) = id.parse::<BookingId>() else {
        return not_found(&web);
    };
    let Some(actor) = driver(&web) else {
        return web.redirect(&format!("/login?next=/bookings/{id}"));
    };
    let Ok(before) = bookings::visible(&web.state, &actor, id).await else {
        return not_found(&web);
    };
    let notice = |text: String| html! { p.notice role="status" { (text) } };
    let (b, said) = match what.as_str() {
        "cancel" => match bookings::cancel(&web.state, &actor, id).await {
            Ok(b) => (b, notice(web.t("web-cancelled"))),
            Err(_) => (before, error(&web.t("web-cannot-cancel"))),
        },
        "answer" => {
            let answer = match f.answer.as_str() {
                "coming" => Answer::Coming,
                "not_coming" => Answer::NotComing,
                _ => return not_found(&web),
            };
            match reminders::answer(&web.state, id, answer).await {
                Ok(b) if b.status == BookingStatus::Cancelled => {
                    (b, notice(web.t("web-cancelled")))
                }
                Ok(b) => (b, notice(web.t("web-coming-noted"))),
                Err(_) => (before, error(&web.t("web-try-later"))),
            }
        }
        "late" => {
            let req = RefreshRequest {
                lat: f.lat.parse().ok(),
                lon: f.lon.parse().ok(),
            };
            match grace::refresh(&web.state, &actor, id, req).await {
                Ok(r) => {
                    let mut args = FluentArgs::new();
                    args.set("minutes", r.grace.extra_minutes);
                    let b = bookings::visible(&web.state, &actor, id)
                        .await
                        .unwrap_or(before);
                    (b, notice(web.t_with("web-late-ok", &args)))
                }
                Err(grace::RefreshError::Invalid(_)) => {
                    (before, error(&web.t("web-late-too-early")))
                }
                Err(e) => {
                    tracing::info!(error = %e, "running late");
                    (before, error(&web.t("web-late-refused")))
                }
            }
        }
        _ => return not_found(&web),
    };
    let body = booking_page(&web, &actor, &b, Some(said)).await;
    web.respond(
        StatusCode::OK,
        page(&web, &web.t("web-booking-title"), &body),
    )
}
