//! The driver's way to a booking (the stations list is `home.rs`): a station's slot picker — opening at the current time, only the days that
//! can be booked, each slot coloured by places and the forecast's rush — and the form
//! that books the slot tapped, in view at once (the tile links to `#book`).

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use fluent_bundle::FluentArgs;
use gasq_shared::StationId;
use maud::{Markup, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::session::Web;
use crate::app::bookings::{self, BookingError, BookingRequest};
use crate::app::slots::{self as slot_views, RushLevel, SlotView};
use crate::app::{stations, vehicles};
use crate::domain::{PaymentMethod, Role, Station, slots};

/// A slot start as links carry it (`2026-11-30T10:15:00Z`).
fn slot_param(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(super) fn rush_word(web: &Web, r: RushLevel) -> String {
    web.t(match r {
        RushLevel::Low => "web-rush-low",
        RushLevel::Medium => "web-rush-medium",
        RushLevel::High => "web-rush-high",
        RushLevel::Unknown => "web-rush-unknown",
    })
}

pub(super) fn rush_class(r: RushLevel) -> &'static str {
    match r {
        RushLevel::Low => "low",
        RushLevel::Medium => "medium",
        RushLevel::High => "high",
        RushLevel::Unknown => "unknown",
    }
}

pub(super) fn hhmm(station: &Station, at: DateTime<Utc>) -> String {
    at.with_timezone(&station.policy.timezone)
        .format("%H:%M")
        .to_string()
}

fn rupees(paise: i64) -> String {
    format!("₹{}.{:02}", paise / 100, paise % 100)
}

/// Query parameters are read leniently: one that does not parse is as if absent (a
/// page, not a 400, for a mangled link).
#[derive(Debug, Default, Deserialize)]
pub struct Pick {
    #[serde(default)]
    date: String,
    #[serde(default)]
    slot: String,
}

/// `GET /stations/{id}`: the slot picker, and with `?slot=` the booking form.
pub async fn picker(web: Web, Path(id): Path<String>, Query(pick): Query<Pick>) -> Response {
    let Ok(id) = id.parse::<u32>() else {
        return not_found(&web);
    };
    let Some(station) = station(&web, id).await else {
        return not_found(&web);
    };
    let date = pick.date.parse::<NaiveDate>().ok();
    let slot = DateTime::parse_from_rfc3339(pick.slot.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc));
    let body = picker_body(&web, &station, date, slot, None).await;
    web.respond(StatusCode::OK, page(&web, &station.name, &body))
}

async fn station(web: &Web, id: u32) -> Option<Station> {
    let id = StationId::new(id).ok()?;
    stations::get(&web.state, id).await.ok()
}

async fn picker_body(
    web: &Web,
    station: &Station,
    date: Option<NaiveDate>,
    chosen: Option<DateTime<Utc>>,
    problem: Option<Markup>,
) -> Markup {
    let now = Utc::now();
    let today = slots::local_date(&station.policy, now);
    let horizon = web.state.settings.bookings.horizon_days;
    let last = today + Duration::days(horizon);
    let date = chosen
        .map(|c| slots::local_date(&station.policy, c))
        .or(date)
        .filter(|d| (today..=last).contains(d))
        .unwrap_or(today);
    let day: Vec<SlotView> = slot_views::of_station(&web.state, station, date, now)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.end > now)
        .collect();
    let chosen = chosen.and_then(|c| day.iter().find(|s| s.start == c && s.available > 0));
    // A rush slot chosen: the calmer free slots nearest it, to nudge (not to refuse).
    let mut calmer: Vec<&SlotView> = match chosen {
        Some(c) if c.rush_level == RushLevel::High => day
            .iter()
            .filter(|s| s.available > 0 && s.rush_level != RushLevel::High)
            .collect(),
        _ => Vec::new(),
    };
    if let Some(c) = chosen {
        calmer.sort_by_key(|s| (s.start - c.start).num_seconds().abs());
    }
    calmer.truncate(3);
    html! {
        h1 { (station.name) }
        p.muted {
            a href={ "https://www.google.com/maps/dir/?api=1&destination=" (station.lat) "," (station.lon) } rel="noopener" { (web.t("web-directions")) }
        }
        @if let Some(p) = problem { (p) }
        @if !calmer.is_empty() {
            p.notice #calmer {
                (web.t("web-rush-nudge")) " "
                @for s in &calmer {
                    a.slot.low style="display:inline-block;margin:.2rem" href={ "/stations/" (station.id) "?slot=" (slot_param(s.start)) "#book" } {
                        (hhmm(station, s.start))
                    }
                }
            }
        }
        @if let Some(slot) = chosen { (book_form(web, station, slot).await) }
        nav.days aria-label=(web.t("web-days")) {
            @for n in 0..=horizon {
                @let d = today + Duration::days(n);
                a class=@if d == date { "on" } @else { "" } href={ "/stations/" (station.id) "?date=" (d) } {
                    (d.format("%a %d %b"))
                }
            }
        }
        p.legend.muted {
            span.low { (web.t("web-rush-low")) } span.medium { (web.t("web-rush-medium")) }
            span.high { (web.t("web-rush-high")) } span.full { (web.t("web-full")) }
        }
        @if day.is_empty() { p { (web.t("web-no-slots-left")) } }
        div.slots {
            @for s in &day {
                @let class = if s.available == 0 { "full" } else { rush_class(s.rush_level) };
                @let on = chosen.is_some_and(|c| c.start == s.start);
                @if s.available == 0 {
                    span class={ "slot " (class) } {
                        b { (hhmm(station, s.start)) } small { (web.t("web-full")) }
                    }
                } @else {
                    a class={ "slot " (class) @if on { " on" } }
                        href={ "/stations/" (station.id) "?slot=" (slot_param(s.start)) "#book" } {
                        b { (hhmm(station, s.start)) }
                        small { (s.available) " " (web.t("web-free")) }
                        @if s.price_paise_per_kg < station.price_paise_per_kg {
                            small { (rupees(s.price_paise_per_kg)) "/kg" }
                        }
                    }
                }
            }
        }
    }
}

async fn book_form(web: &Web, station: &Station, slot: &SlotView) -> Markup {
    let mut args = FluentArgs::new();
    args.set("time", hhmm(station, slot.start));
    args.set("price", rupees(slot.price_paise_per_kg));
    let Some(actor) = web.actor.as_ref().filter(|a| a.role == Role::Driver) else {
        let next = format!("/stations/{}?slot={}", station.id, slot_param(slot.start));
        return html! {
            section.card #book {
                h2 { (web.t_with("web-book-title", &args)) }
                p { (web.t("web-sign-in-to-book")) }
                a.button href={ "/login?next=" (urlencode(&next)) } { (web.t("web-sign-in")) }
                a.button.plain href="/register" { (web.t("web-register")) }
            }
        };
    };
    let mine = vehicles::list(&web.state, actor).await.unwrap_or_default();
    html! {
        form.card #book method="post" action={ "/stations/" (station.id) "/book" } {
            h2 { (web.t_with("web-book-title", &args)) }
            p.muted { (web.t_with("web-price-per-kg", &args)) }
            input type="hidden" name="csrf" value=(web.csrf);
            input type="hidden" name="slot" value=(slot_param(slot.start));
            @if !mine.is_empty() {
                label for="vehicle" { (web.t("web-vehicle-label")) }
                select #vehicle name="vehicle" {
                    @for v in &mine { option value=(v.id) { (v.registration) } }
                    option value="" { (web.t("web-another-vehicle")) }
                }
            }
            label for="registration" { (web.t("web-registration-label")) }
            input #registration name="registration" placeholder="MH12AB1234" autocomplete="off" required[mine.is_empty()];
            label for="kg" { (web.t("web-kg-label")) }
            input #kg name="kg" type="number" min="1" max="100" step="0.5" inputmode="decimal" placeholder=(web.t("web-kg-fill"));
            fieldset style="border:0;padding:0;margin:.7rem 0 0" {
                legend style="font-weight:600" { (web.t("web-pay-label")) }
                label.choice { input type="radio" name="payment" value="at_station" checked; (web.t("web-pay-at-station")) }
                label.choice { input type="radio" name="payment" value="online"; (web.t("web-pay-online")) }
            }
            button { (web.t("web-book")) }
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct BookForm {
    #[serde(default)]
    csrf: String,
    slot: DateTime<Utc>,
    #[serde(default)]
    vehicle: String,
    #[serde(default)]
    registration: String,
    #[serde(default)]
    kg: String,
    #[serde(default)]
    payment: String,
}

/// `POST /stations/{id}/book`: books, then the booking's page (or its checkout).
pub async fn book(web: Web, Path(id): Path<String>, Form(f): Form<BookForm>) -> Response {
    let Ok(id) = id.parse::<u32>() else {
        return not_found(&web);
    };
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let Some(station) = station(&web, id).await else {
        return not_found(&web);
    };
    let Some(actor) = web.actor.filter(|a| a.role == Role::Driver) else {
        return web.redirect(&format!("/login?next=/stations/{id}"));
    };
    let vehicle = if f.registration.trim().is_empty() {
        f.vehicle.parse().ok()
    } else {
        match vehicles::add(&web.state, &actor, f.registration.trim()).await {
            Ok(v) => Some(v.id),
            Err(_) => {
                // Already theirs? Then that one.
                let wanted = gasq_shared::VehicleReg::parse(f.registration.trim()).ok();
                let mine = vehicles::list(&web.state, &actor).await.unwrap_or_default();
                match mine
                    .into_iter()
                    .find(|v| Some(&v.registration) == wanted.as_ref())
                {
                    Some(v) => Some(v.id),
                    None => {
                        return refuse(&web, &station, f.slot, web.t("web-bad-registration")).await;
                    }
                }
            }
        }
    };
    let Some(vehicle_id) = vehicle else {
        return refuse(&web, &station, f.slot, web.t("web-pick-vehicle")).await;
    };
    let quantity_kg = match f.kg.trim() {
        "" => None,
        kg => match kg.replace(',', ".").parse::<f64>() {
            // What a car's tank takes, as SMS bookings allow.
            Ok(x) if (0.5..=100.0).contains(&x) => Some(x),
            Ok(_) => return refuse(&web, &station, f.slot, web.t("web-bad-kg")).await,
            Err(_) => return refuse(&web, &station, f.slot, web.t("web-bad-kg")).await,
        },
    };
    let payment_method = if f.payment == "online" {
        PaymentMethod::Online
    } else {
        PaymentMethod::AtStation
    };
    let req = BookingRequest {
        station_id: station.id,
        vehicle_id,
        slot_start: f.slot,
        quantity_kg,
        payment_method,
    };
    match bookings::book(&web.state, &actor, req, None).await {
        Ok(booked) if payment_method == PaymentMethod::Online => {
            web.redirect(&format!("/pay/{}", booked.booking.id))
        }
        Ok(booked) => web.redirect(&format!("/bookings/{}", booked.booking.id)),
        Err(BookingError::SlotFull { .. }) => {
            refuse(&web, &station, f.slot, web.t("web-slot-full")).await
        }
        Err(e @ (BookingError::Limit(_) | BookingError::Invalid(_))) => {
            let args = crate::app::sms::refusal::of_error(&e, &station);
            refuse(&web, &station, f.slot, web.t_with("refusal", &args)).await
        }
        Err(e) => {
            tracing::warn!(error = %e, "web booking");
            refuse(&web, &station, f.slot, web.t("web-try-later")).await
        }
    }
}

/// The picker again, the slot still chosen, with why it was not booked.
async fn refuse(web: &Web, station: &Station, slot: DateTime<Utc>, text: String) -> Response {
    let body = picker_body(web, station, None, Some(slot), Some(error(&text))).await;
    web.respond(
        StatusCode::UNPROCESSABLE_ENTITY,
        page(web, &station.name, &body),
    )
}

pub fn not_found(web: &Web) -> Response {
    let body =
        html! { h1 { (web.t("web-not-found")) } p { a href="/" { (web.t("web-nav-stations")) } } };
    web.respond(
        StatusCode::NOT_FOUND,
        page(web, &web.t("web-not-found"), &body),
    )
}

pub fn busy(web: &Web) -> Response {
    let body = html! { h1 { (web.t("web-try-later")) } };
    web.respond(
        StatusCode::SERVICE_UNAVAILABLE,
        page(web, &web.t("web-try-later"), &body),
    )
}
