//! The station's back office, `/admin/stations/{id}/office`, for its admins: the last
//! two weeks' takings as a chart with the CSV for the accountant, the reconciliation
//! cases to look into (each resolved with what was done), prices, the refund policy and
//! the capacity policy in one form, the price history, and the station's staff. The
//! same use cases, so the same role checks and audit, as the API.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};
use gasq_shared::StationId;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::office_form::SettingsForm;
use super::session::Web;
use super::stations::not_found;
use crate::app::payments::receipt::{self, DayTakings};
use crate::app::stations::{self, StationError};
use crate::app::{access, dashboard, people};
use crate::domain::{Actor, Station, money, slots};

/// Days of takings the office shows.
const DAYS: i64 = 14;

/// The signed-in admin of station `id`, and the station; else the page to answer with.
async fn admin_of(web: &Web, id: &str) -> Result<(Actor, Station), Response> {
    let Some(sid) = id.parse::<u32>().ok().and_then(|n| StationId::new(n).ok()) else {
        return Err(not_found(web));
    };
    let Some(actor) = web.actor else {
        return Err(web.redirect(&format!("/login?next=/admin/stations/{sid}/office")));
    };
    let Ok(station) = stations::get(&web.state, sid).await else {
        return Err(not_found(web));
    };
    if !access::administers(&web.state, &actor, sid)
        .await
        .unwrap_or(false)
    {
        let body = html! { h1 { (web.t("web-forbidden")) } };
        return Err(web.respond(
            StatusCode::FORBIDDEN,
            page(web, &web.t("web-forbidden"), &body),
        ));
    }
    Ok((actor, station))
}

/// `GET /admin/stations/{id}/office`.
pub async fn show(web: Web, Path(id): Path<String>) -> Response {
    match admin_of(&web, &id).await {
        Ok((actor, station)) => render(&web, &actor, &station, None).await,
        Err(answer) => answer,
    }
}

async fn render(web: &Web, actor: &Actor, station: &Station, notice: Option<Markup>) -> Response {
    let today = slots::local_date(&station.policy, Utc::now());
    let from = today - Duration::days(DAYS - 1);
    let takings = receipt::takings(&web.state, actor, station.id, from, today)
        .await
        .unwrap_or_default();
    let cases = dashboard::dashboard(&web.state, actor, station.id)
        .await
        .map(|d| d.reconciliation)
        .unwrap_or_default();
    let prices = receipt::prices(&web.state, actor, station.id)
        .await
        .unwrap_or_default();
    let staff = people::station_staff(&web.state, actor, station.id)
        .await
        .unwrap_or_default();
    let tz = station.policy.timezone;
    let body = html! {
        (tabs(web, station, "office"))
        @if let Some(n) = notice { (n) }
        h1 { (station.name) }
        (takings_card(web, station, &takings, from, today))
        section.card #cases {
            h2 style="margin-top:0" { (web.t("web-cases")) }
            @if cases.is_empty() { p.muted { (web.t("web-cases-none")) } }
            @for c in &cases {
                form method="post" action={ "/admin/stations/" (station.id) "/cases/" (c.id) "/resolve" }
                    style="border-top:1px solid #d9dde3;padding:.5rem 0" {
                    div.row { b { (c.kind.replace('_', " ")) } span.muted { (c.created_at.with_timezone(&tz).format("%d %b %H:%M")) } }
                    p style="margin:.3rem 0" { (c.detail) }
                    input type="hidden" name="csrf" value=(web.csrf);
                    label for={ "r-" (c.id) } { (web.t("web-case-resolution")) }
                    input id={ "r-" (c.id) } name="resolution" required maxlength="500";
                    button.plain { (web.t("web-case-resolve")) }
                }
            }
        }
        (settings_form(web, station))
        section.card {
            h2 style="margin-top:0" { (web.t("web-price-history")) }
            @for p in prices.iter().take(6) {
                div.row { span { (money::rupees(p.price_paise_per_kg)) " / kg" } span.muted { (p.from_at.with_timezone(&tz).format("%d %b %Y %H:%M")) } }
            }
        }
        section.card {
            h2 style="margin-top:0" { (web.t("web-staff")) }
            @if staff.is_empty() { p.muted { (web.t("web-staff-none")) } }
            @for u in &staff {
                div.row { span { (u.name) } span.status { (web.t(&format!("web-role-{}", u.role.as_str().replace('_', "-")))) } }
            }
        }
    };
    web.respond(StatusCode::OK, page(web, &station.name, &body))
}

/// The lane board and the office, one tap apart.
pub fn tabs(web: &Web, station: &Station, on: &str) -> Markup {
    html! {
        nav.days aria-label=(station.name) {
            a class=(if on == "board" { "on" } else { "" }) href={ "/admin/stations/" (station.id) } { (web.t("web-lane-board")) }
            a class=(if on == "office" { "on" } else { "" }) href={ "/admin/stations/" (station.id) "/office" } { (web.t("web-office")) }
        }
    }
}

/// Net takings per day as bars (refunds and fees already out), and the totals.
fn takings_card(
    web: &Web,
    station: &Station,
    days: &[DayTakings],
    from: NaiveDate,
    to: NaiveDate,
) -> Markup {
    let top = days
        .iter()
        .map(|d| d.net_paise.max(d.captured_paise))
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h, step) = (DAYS as f64 * 22.0, 110.0, 22.0);
    let mut bars = String::new();
    for (i, d) in days.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)] // two weeks of rupees
        let (x, captured, net) = (
            i as f64 * step,
            d.captured_paise as f64 / top as f64 * h,
            d.net_paise.max(0) as f64 / top as f64 * h,
        );
        bars.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"16\" height=\"{captured:.1}\" fill=\"#d8f3dc\"/>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"16\" height=\"{net:.1}\" fill=\"#0b6e4f\"><title>{} {}</title></rect>",
            x + 3.0, h - captured, x + 3.0, h - net, d.date.format("%d %b"), money::rupees(d.net_paise)
        ));
        if i % 2 == 0 {
            bars.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" fill=\"#5b6472\">{}</text>",
                x + 2.0,
                h + 11.0,
                d.date.format("%d")
            ));
        }
    }
    let sum = |f: fn(&DayTakings) -> i64| days.iter().map(f).sum::<i64>();
    html! {
        section.card {
            h2 style="margin-top:0" { (web.t("web-takings")) }
            svg role="img" aria-label=(web.t("web-takings")) viewBox={ "0 0 " (w) " " (h + 14.0) } width="100%" { (PreEscaped(bars)) }
            div.row {
                span { (web.t("web-takings-paid")) ": " b { (money::rupees(sum(|d| d.captured_paise))) } }
                span { (web.t("web-takings-refunded")) ": " b { (money::rupees(sum(|d| d.refunded_paise))) } }
                span { (web.t("web-takings-fees")) ": " b { (money::rupees(sum(|d| d.gateway_fees_paise))) } }
                span { (web.t("web-takings-net")) ": " b { (money::rupees(sum(|d| d.net_paise))) } }
            }
            a.button.plain href={ "/admin/stations/" (station.id) "/ledger.csv?from=" (from) "&to=" (to) } download { (web.t("web-csv")) }
        }
    }
}

fn field(web: &Web, name: &str, label: &str, value: String, step: &str) -> Markup {
    html! {
        label for=(name) { (web.t(label)) }
        input id=(name) name=(name) value=(value) inputmode="decimal" type="number" step=(step) min="0";
    }
}

fn settings_form(web: &Web, s: &Station) -> Markup {
    let rupees = |p: i64| format!("{:.2}", p as f64 / 100.0);
    html! {
        form.card #settings method="post" action={ "/admin/stations/" (s.id) "/settings" } {
            h2 style="margin-top:0" { (web.t("web-settings")) }
            input type="hidden" name="csrf" value=(web.csrf);
            (field(web, "price", "web-price", rupees(s.price_paise_per_kg), "0.01"))
            (field(web, "fill_to_full_kg", "web-fill-to-full", format!("{:.1}", f64::from(s.money.fill_to_full_centikg) / 100.0), "0.1"))
            (field(web, "refund_cutoff_minutes", "web-refund-cutoff", s.money.refund_cutoff_minutes.to_string(), "1"))
            (field(web, "cancel_fee", "web-cancel-fee", rupees(s.money.cancel_fee_paise), "0.01"))
            (field(web, "calm_discount", "web-calm-discount", rupees(s.money.calm_discount_paise_per_kg), "0.01"))
            h2 { (web.t("web-capacity")) }
            (field(web, "walkin_share", "web-walkin-share", s.walkin_reserve_share_percent.to_string(), "1"))
            (field(web, "min_bookable", "web-min-bookable", s.min_bookable_places.to_string(), "1"))
            (field(web, "wait_target", "web-wait-target", s.wait_target_minutes.to_string(), "1"))
            (field(web, "reminder_lead", "web-reminder-lead", s.reminder_lead_minutes.to_string(), "1"))
            button { (web.t("web-save")) }
        }
    }
}

/// `POST /admin/stations/{id}/settings`.
pub async fn save_settings(
    web: Web,
    Path(id): Path<String>,
    Form(f): Form<SettingsForm>,
) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let (actor, station) = match admin_of(&web, &id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let changes = match f.changes() {
        Ok(c) => c,
        Err(label) => {
            let notice = error(&format!("{}: {}", web.t(label), web.t("web-not-a-number")));
            return render(&web, &actor, &station, Some(notice)).await;
        }
    };
    let (notice, station) = match stations::update(&web.state, &actor, station.id, changes).await {
        Ok(saved) => (
            html! { p.notice role="status" { (web.t("web-saved")) } },
            saved,
        ),
        // The use case's message names the setting and its bounds.
        Err(StationError::Invalid(i)) => (
            error(&format!("{}: {}", i.field.replace('_', " "), i.message)),
            station,
        ),
        Err(_) => (error(&web.t("web-try-later")), station),
    };
    render(&web, &actor, &station, Some(notice)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct Resolution {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resolution: String,
}

/// `POST /admin/stations/{id}/cases/{case}/resolve`.
pub async fn resolve_case(
    web: Web,
    Path((id, case)): Path<(String, String)>,
    Form(f): Form<Resolution>,
) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let (actor, station) = match admin_of(&web, &id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Ok(case) = case.parse::<uuid::Uuid>() else {
        return not_found(&web);
    };
    let notice =
        match receipt::resolve_case(&web.state, &actor, station.id, case, &f.resolution).await {
            Ok(()) => html! { p.notice role="status" { (web.t("web-case-resolved")) } },
            Err(_) => error(&web.t("web-case-not-resolved")),
        };
    render(&web, &actor, &station, Some(notice)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct Range {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// `GET /admin/stations/{id}/ledger.csv?from=&to=`: the ledger rows for the accountant.
pub async fn ledger_csv(web: Web, Path(id): Path<String>, Query(r): Query<Range>) -> Response {
    let (actor, station) = match admin_of(&web, &id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let today = slots::local_date(&station.policy, Utc::now());
    let to = r.to.unwrap_or(today);
    let from = r.from.unwrap_or(to - Duration::days(DAYS - 1));
    match receipt::ledger_csv(&web.state, &actor, station.id, from, to).await {
        Ok(csv) => {
            let name = format!("attachment; filename=\"{}-{from}-{to}.csv\"", station.code);
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                csv,
            )
                .into_response()
        }
        Err(_) => {
            let body = html! { (error(&web.t("web-csv-range"))) };
            web.respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&web, &web.t("web-csv"), &body),
            )
        }
    }
}
