//! `/me`: the signed-in user's profile — how messages reach them and in which language
//! (the page's language follows) — and, for drivers, their vehicles: add one, remove one
//! no booking still needs.

use axum::Form;
use axum::http::StatusCode;
use axum::response::Response;
use gasq_shared::VehicleId;
use maud::{Markup, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::session::Web;
use super::stations::busy;
use crate::app::accounts::{self, Preferences};
use crate::app::vehicles;
use crate::domain::Role;

/// `GET /me`.
pub async fn show(web: Web) -> Response {
    render(&web, None).await
}

async fn render(web: &Web, notice: Option<Markup>) -> Response {
    let Some(actor) = web.actor else {
        return web.redirect("/login?next=/me");
    };
    let Ok(me) = accounts::profile(&web.state, &actor).await else {
        return busy(web);
    };
    let mine = if actor.role == Role::Driver {
        vehicles::list(&web.state, &actor).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let languages = web.state.messenger.catalog.languages();
    let body = html! {
        @if let Some(n) = notice { (n) }
        h1 { (me.name) }
        p.muted { (me.email) @if let Some(p) = &me.phone { " · " (p) } }
        form.card method="post" action="/me" {
            input type="hidden" name="csrf" value=(web.csrf);
            label for="language" { (web.t("web-me-language")) }
            select #language name="language" {
                @for l in &languages {
                    option value=(l) selected[*l == me.language] { (web.t(&format!("web-language-{l}"))) }
                }
            }
            label for="notify_by" { (web.t("web-me-notify")) }
            select #notify_by name="notify_by" {
                @for (value, id) in [("sms", "web-notify-sms"), ("email", "web-notify-email"), ("none", "web-notify-none")] {
                    option value=(value) selected[value == me.notify_by] { (web.t(id)) }
                }
            }
            button { (web.t("web-save")) }
        }
        @if actor.role == Role::Driver {
            section.card {
                h2 style="margin-top:0" { (web.t("web-me-vehicles")) }
                @for v in &mine {
                    form.row method="post" action="/me/vehicles/remove" style="border-top:1px solid #d9dde3;padding:.3rem 0" {
                        b { (v.registration) }
                        input type="hidden" name="csrf" value=(web.csrf);
                        input type="hidden" name="vehicle" value=(v.id);
                        button.danger style="margin:0" { (web.t("web-remove")) }
                    }
                }
                form method="post" action="/me/vehicles" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    label for="registration" { (web.t("web-registration-label")) }
                    input #registration name="registration" placeholder="MH12AB1234" required autocomplete="off";
                    button { (web.t("web-me-add-vehicle")) }
                }
            }
        }
    };
    web.respond(StatusCode::OK, page(web, &me.name, &body))
}

#[derive(Debug, Default, Deserialize)]
pub struct Prefs {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    notify_by: String,
}

/// `POST /me`: language and channel; the page switches to the language chosen.
pub async fn save(mut web: Web, Form(f): Form<Prefs>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let Some(actor) = web.actor else {
        return web.redirect("/login?next=/me");
    };
    let prefs = Preferences {
        language: Some(f.language.clone()).filter(|l| !l.is_empty()),
        notify_by: Some(f.notify_by).filter(|n| !n.is_empty()),
    };
    let notice = match accounts::set_preferences(&web.state, &actor, prefs).await {
        Ok(p) => {
            web.set_language(&p.language);
            html! { p.notice role="status" { (web.t("web-saved")) } }
        }
        Err(_) => error(&web.t("web-me-refused")),
    };
    render(&web, Some(notice)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct VehicleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    registration: String,
    #[serde(default)]
    vehicle: String,
}

/// `POST /me/vehicles`: adds one.
pub async fn add_vehicle(web: Web, Form(f): Form<VehicleForm>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let Some(actor) = web.actor.filter(|a| a.role == Role::Driver) else {
        return web.redirect("/login?next=/me");
    };
    let notice = match vehicles::add(&web.state, &actor, f.registration.trim()).await {
        Ok(_) => html! { p.notice role="status" { (web.t("web-saved")) } },
        Err(_) => error(&web.t("web-bad-registration")),
    };
    render(&web, Some(notice)).await
}

/// `POST /me/vehicles/remove`: removes one no live booking needs.
pub async fn remove_vehicle(web: Web, Form(f): Form<VehicleForm>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let Some(actor) = web.actor.filter(|a| a.role == Role::Driver) else {
        return web.redirect("/login?next=/me");
    };
    let Ok(id) = f.vehicle.parse::<VehicleId>() else {
        return render(&web, None).await;
    };
    let notice = match vehicles::remove(&web.state, &actor, id).await {
        Ok(()) => html! { p.notice role="status" { (web.t("web-removed")) } },
        Err(_) => error(&web.t("web-vehicle-in-use")),
    };
    render(&web, Some(notice)).await
}
