//! The technician's page, `/tech`: the stations they look after, each box's health (its
//! version, when it last pulled — red when stale), a new enrollment code shown as text,
//! as a QR and as the exact `gasq-edge enroll` command, kept on screen until dismissed
//! (the page does not refresh itself), and revoking a box. The API's use cases do the
//! work, with their role checks.

use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use fluent_bundle::FluentArgs;
use gasq_shared::{DeviceId, StationId};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::session::Web;
use crate::app::{access, devices, enrollment, stations};
use crate::domain::{Actor, Role, Station};

fn staff(web: &Web) -> Option<Actor> {
    web.actor.filter(|a| {
        matches!(
            a.role,
            Role::Technician | Role::StationAdmin | Role::SuperAdmin
        )
    })
}

fn minutes(m: i64) -> FluentArgs<'static> {
    let mut args = FluentArgs::new();
    args.set("minutes", m);
    args
}

async fn my_stations(web: &Web, actor: &Actor) -> Vec<Station> {
    let mut mine = Vec::new();
    for s in stations::list(&web.state).await.unwrap_or_default() {
        if access::works_at(&web.state, actor, s.id)
            .await
            .unwrap_or(false)
        {
            mine.push(s);
        }
    }
    mine
}

/// `GET /tech`.
pub async fn home(web: Web) -> Response {
    let Some(actor) = staff(&web) else {
        return web.redirect("/login?next=/tech");
    };
    let body = tech_body(&web, &actor, None).await;
    web.respond(StatusCode::OK, page(&web, &web.t("web-tech-title"), &body))
}

async fn tech_body(web: &Web, actor: &Actor, top: Option<Markup>) -> Markup {
    let offline_after = web.state.settings.edge.offline_after_secs;
    let now = Utc::now();
    let mut cards = Vec::new();
    for s in my_stations(web, actor).await {
        let boxes = devices::list(&web.state, actor, s.id)
            .await
            .unwrap_or_default();
        cards.push((s, boxes));
    }
    html! {
        @if let Some(t) = top { (t) }
        h1 { (web.t("web-tech-title")) }
        @if cards.is_empty() { p { (web.t("web-tech-no-stations")) } }
        @for (s, boxes) in &cards {
            section.card {
                div.row { h2 style="margin:0" { (s.name) } span.muted { (s.code) } }
                @if boxes.iter().all(|b| b.revoked_at.is_some()) { p.error { (web.t("web-tech-no-box")) } }
                @for b in boxes.iter().filter(|b| b.revoked_at.is_none()) {
                    @let silent = b.last_pull_at.map(|t| (now - t).num_seconds());
                    @let args = minutes(silent.map_or(0, |s| s / 60));
                    div style="border-top:1px solid #d9dde3;padding:.5rem 0" {
                        div.row {
                            b { (b.name.as_deref().unwrap_or("—")) }
                            span.muted { "gasq-edge " (b.version.as_deref().unwrap_or("?")) }
                        }
                        @match silent {
                            Some(secs) if secs <= offline_after => { p.notice { (web.t("web-tech-box-online")) } }
                            Some(_) => { p.error { (web.t_with("web-tech-box-stale", &args)) } }
                            None => { p.error { (web.t("web-tech-box-never")) } }
                        }
                        form method="post" action={ "/tech/devices/" (b.id) "/revoke" } {
                            input type="hidden" name="csrf" value=(web.csrf);
                            button.danger { (web.t("web-tech-revoke")) }
                        }
                    }
                }
                form method="post" action={ "/tech/stations/" (s.id) "/code" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button { (web.t("web-tech-new-code")) }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Csrf {
    #[serde(default)]
    csrf: String,
}

/// `POST /tech/stations/{id}/code`: a one-time code, shown until dismissed.
pub async fn new_code(web: Web, Path(id): Path<String>, Form(f): Form<Csrf>) -> Response {
    let Ok(id) = id.parse::<u32>() else {
        return web.redirect("/tech");
    };
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let Some(actor) = staff(&web) else {
        return web.redirect("/login?next=/tech");
    };
    let Ok(station) = StationId::new(id) else {
        return web.redirect("/tech");
    };
    let code = match enrollment::create_code(&web.state, &actor, station).await {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(error = %e, "enrollment code from /tech");
            let body = tech_body(&web, &actor, Some(error(&web.t("web-tech-code-refused")))).await;
            return web.respond(
                StatusCode::FORBIDDEN,
                page(&web, &web.t("web-tech-title"), &body),
            );
        }
    };
    let command = format!(
        "gasq-edge enroll --cloud {} --code {}",
        web.state.settings.public_base(),
        code.code
    );
    let qr = qrcode::QrCode::new(code.code.as_bytes())
        .map(|q| crate::qr::svg(&q))
        .unwrap_or_default();
    let mut args = FluentArgs::new();
    args.set(
        "until",
        code.expires_at.format("%d %b %H:%M UTC").to_string(),
    );
    let body = html! {
        h1 { (web.t("web-tech-code-title")) }
        section.card {
            p { (web.t_with("web-tech-code-expires", &args)) }
            p.code style="font-size:1.3rem;word-break:break-all" { (code.code) }
            figure.qr role="img" aria-label=(web.t("web-tech-code-qr")) title="QR" {
                (PreEscaped(qr))
            }
            label for="command" { (web.t("web-tech-command")) }
            input #command readonly value=(command);
            p.muted { (web.t("web-tech-code-once")) }
        }
        a.button href="/tech" { (web.t("web-tech-dismiss")) }
    };
    web.respond(
        StatusCode::OK,
        page(&web, &web.t("web-tech-code-title"), &body),
    )
}

/// `POST /tech/devices/{id}/revoke`: the box is cut off at its next call.
pub async fn revoke(web: Web, Path(id): Path<String>, Form(f): Form<Csrf>) -> Response {
    let Ok(id) = id.parse::<DeviceId>() else {
        return web.redirect("/tech");
    };
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let Some(actor) = staff(&web) else {
        return web.redirect("/login?next=/tech");
    };
    let said = match devices::revoke(&web.state, &actor, id).await {
        Ok(_) => html! { p.notice role="status" { (web.t("web-tech-revoked")) } },
        Err(_) => error(&web.t("web-tech-revoke-refused")),
    };
    let body = tech_body(&web, &actor, Some(said)).await;
    web.respond(StatusCode::OK, page(&web, &web.t("web-tech-title"), &body))
}
