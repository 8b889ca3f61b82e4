//! The super admin's home, `/admin`: the network at a glance — each station's day as
//! bars (utilisation, no-shows, walk-ins), its takings, forecast error and box
//! freshness, the stations needing attention first — and the way to stations, users,
//! the audit log and the signing keys.

use axum::http::StatusCode;
use axum::response::Response;
use fluent_bundle::FluentArgs;
use maud::{Markup, html};

use super::layout::page;
use super::session::Web;
use crate::app::network::{self, StationHealth};
use crate::domain::{Actor, Role, money};

/// The signed-in super admin, or the page to answer with.
#[allow(clippy::result_large_err)] // the error is the answer itself, sent at once
pub fn super_admin(web: &Web, here: &str) -> Result<Actor, Response> {
    match web.actor {
        None => Err(web.redirect(&format!("/login?next={here}"))),
        Some(a) if a.role == Role::SuperAdmin => Ok(a),
        Some(_) => {
            let body = html! { h1 { (web.t("web-forbidden")) } };
            Err(web.respond(
                StatusCode::FORBIDDEN,
                page(web, &web.t("web-forbidden"), &body),
            ))
        }
    }
}

/// Links between the super admin's pages.
pub fn admin_nav(web: &Web, on: &str) -> Markup {
    let links = [
        ("/admin", "web-network"),
        ("/admin/stations", "web-stations-admin"),
        ("/admin/users", "web-users"),
        ("/admin/audit", "web-audit"),
        ("/admin/keys", "web-keys"),
    ];
    html! {
        nav.days aria-label=(web.t("web-network")) {
            @for (href, label) in links {
                a class=(if href == on { "on" } else { "" }) href=(href) { (web.t(label)) }
            }
        }
    }
}

/// `GET /admin`.
pub async fn home(web: Web) -> Response {
    let actor = match super_admin(&web, "/admin") {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let stations = network::overview(&web.state, &actor)
        .await
        .unwrap_or_default();
    let body = html! {
        (admin_nav(&web, "/admin"))
        h1 { (web.t("web-network")) }
        @if stations.is_empty() { p.muted { (web.t("web-no-stations")) } }
        @for s in &stations { (station_card(&web, s)) }
    };
    web.respond(StatusCode::OK, page(&web, &web.t("web-network"), &body))
}

/// A labelled bar, `percent` of the way (capped at 100).
fn bar(label: &str, percent: Option<u32>, colour: &str) -> Markup {
    let shown = percent.map_or("–".to_owned(), |p| format!("{p}%"));
    let width = percent.unwrap_or(0).min(100);
    html! {
        div.bar role="img" aria-label={ (label) " " (shown) } {
            span.muted { (label) }
            div style="background:#e9ecef;border-radius:.3rem;height:.7rem;margin:.15rem 0 .4rem" {
                div style={ "width:" (width) "%;height:100%;border-radius:.3rem;background:" (colour) } {}
            }
            small { (shown) }
        }
    }
}

fn station_card(web: &Web, s: &StationHealth) -> Markup {
    let mut args = FluentArgs::new();
    args.set("minutes", s.edge_seconds.map_or(0, |secs| secs / 60));
    let box_text = match s.edge_seconds {
        None => web.t("web-edge-none"),
        Some(secs) if secs > 120 => web.t_with("web-edge-stale", &args),
        Some(_) => web.t("web-edge-online"),
    };
    html! {
        section.card style={ "border-left:6px solid " (if s.attention.is_empty() { "#0b6e4f" } else { "#b00020" }) } {
            div.row {
                a href={ "/admin/stations/" (s.station_id) } { b { (s.name) } }
                span.muted { (s.code) }
            }
            @if !s.attention.is_empty() {
                p style="margin:.3rem 0" {
                    @for why in &s.attention { span.status.cancelled style="margin-right:.3rem" { (web.t(&format!("web-attention-{why}"))) } }
                }
            }
            (bar(&web.t("web-utilisation"), s.utilisation_percent, "#0b6e4f"))
            (bar(&web.t("web-no-shows"), s.no_show_percent, "#b00020"))
            (bar(&web.t("web-walkin-share-today"), s.walkin_percent, "#f4a261"))
            div.row {
                span { (web.t("web-takings-net")) ": " b { (money::rupees(s.net_paise)) } }
                span { (web.t("web-forecast-error")) ": " b { (s.forecast_error.map_or("–".to_owned(), |e| format!("{e:.1}"))) } }
            }
            p.muted style="margin:.3rem 0 0" { (box_text) }
        }
    }
}
