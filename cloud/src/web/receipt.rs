//! A booking's receipt for its driver, `/bookings/{id}/receipt`: the price, what was
//! paid, the fill and what it cost, what came back and what is still on its way, what
//! a cancellation kept — from the same use case as `GET /api/v1/bookings/{id}/receipt`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use gasq_shared::BookingId;
use maud::html;

use super::layout::page;
use super::session::Web;
use super::stations::not_found;
use crate::app::payments::receipt;
use crate::domain::{Role, money};

/// `GET /bookings/{id}/receipt`.
pub async fn show(web: Web, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<BookingId>() else {
        return not_found(&web);
    };
    let Some(actor) = web.actor.filter(|a| a.role == Role::Driver) else {
        return web.redirect(&format!("/login?next=/bookings/{id}/receipt"));
    };
    let Ok(r) = receipt::receipt(&web.state, &actor, id).await else {
        return not_found(&web);
    };
    let rupees = |p: Option<i64>| p.map_or("–".to_owned(), money::rupees);
    let line = |label: &str, value: String| {
        html! { div.row style="border-top:1px solid #d9dde3;padding:.35rem 0" { span { (web.t(label)) } b { (value) } } }
    };
    let body = html! {
        section.card {
            div.row { h1 style="margin:0" { (web.t("web-receipt")) } span.muted { (r.code) } }
            p { (r.station_name) }
            (line("web-receipt-price", r.price_paise_per_kg.map_or("–".to_owned(), |p| format!("{} / kg", money::rupees(p)))))
            (line("web-receipt-paid", rupees(r.paid_paise)))
            @if let Some(kg) = r.filled_kg {
                (line("web-receipt-filled", format!("{kg:.2} kg · {}", rupees(r.fill_paise))))
            }
            @if r.fee_paise > 0 { (line("web-receipt-fee", money::rupees(r.fee_paise))) }
            (line("web-receipt-refunded", money::rupees(r.refunded_paise)))
            @if r.refund_pending_paise > 0 {
                (line("web-receipt-on-its-way", money::rupees(r.refund_pending_paise)))
                p.muted { (web.t("web-receipt-on-its-way-hint")) }
            }
            p.muted { (r.summary) }
        }
        p { a href={ "/bookings/" (id) } { (web.t("web-booking-title")) } " · " a href="/bookings" { (web.t("web-nav-bookings")) } }
    };
    web.respond(StatusCode::OK, page(&web, &web.t("web-receipt"), &body))
}
