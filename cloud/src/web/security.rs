//! The super admin's security pages: the audit log with filters and a "verify chain"
//! button (`/admin/audit`), and the token signing keys with their rotation
//! (`/admin/keys`). The same use cases as `GET /api/v1/audit`, `gasq-cloud audit
//! verify` and `gasq-cloud keys rotate|list`.

use axum::Form;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use fluent_bundle::FluentArgs;
use gasq_shared::keys::KeyStatus;
use maud::{Markup, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::network::{admin_nav, super_admin};
use super::session::Web;
use crate::app::audit::{self, AuditError, AuditQuery};
use crate::app::keys;

#[derive(Debug, Default, Deserialize)]
pub struct AuditFilters {
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    before: Option<i64>,
}

/// `GET /admin/audit`.
pub async fn audit_log(web: Web, Query(f): Query<AuditFilters>) -> Response {
    if let Err(answer) = super_admin(&web, "/admin/audit") {
        return answer;
    }
    render_audit(&web, &f, None).await
}

async fn render_audit(web: &Web, f: &AuditFilters, notice: Option<Markup>) -> Response {
    let keep = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let q = AuditQuery {
        action: keep(&f.action),
        target: keep(&f.target),
        before: f.before,
        limit: Some(50),
        ..AuditQuery::default()
    };
    let found = audit::page(&web.state, q).await;
    let body = html! {
        (admin_nav(web, "/admin/audit"))
        @if let Some(n) = notice { (n) }
        h1 { (web.t("web-audit")) }
        form.card method="post" action="/admin/audit/verify" {
            p style="margin:0" { (web.t("web-audit-verify-hint")) }
            input type="hidden" name="csrf" value=(web.csrf);
            button { (web.t("web-audit-verify")) }
        }
        form.card method="get" action="/admin/audit" {
            label for="action" { (web.t("web-audit-action")) }
            input #action name="action" value=(f.action) placeholder="booking.create" autocomplete="off";
            label for="target" { (web.t("web-audit-target")) }
            input #target name="target" value=(f.target) placeholder="station:1" autocomplete="off";
            button { (web.t("web-find")) }
        }
        @match &found {
            Ok(page) => {
                @if page.entries.is_empty() { p.muted { (web.t("web-audit-none")) } }
                @for e in &page.entries {
                    div.card style="padding:.6rem" {
                        div.row { b { (e.action) } span.muted { (e.at.format("%Y-%m-%d %H:%M:%S UTC")) } }
                        div.muted { (e.target) " · " (e.actor_role.as_deref().unwrap_or("system")) @if let Some(ip) = &e.ip { " · " (ip) } }
                        @if !e.detail.is_null() { small style="overflow-wrap:anywhere" { (e.detail.to_string()) } }
                    }
                }
                @if let Some(before) = page.next_before {
                    a.button.plain href={ "/admin/audit?action=" (f.action) "&target=" (f.target) "&before=" (before) } { (web.t("web-older")) }
                }
            }
            Err(_) => (error(&web.t("web-try-later"))),
        }
    };
    web.respond(StatusCode::OK, page(web, &web.t("web-audit"), &body))
}

#[derive(Debug, Default, Deserialize)]
pub struct Csrf {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lead_hours: Option<i64>,
}

/// `POST /admin/audit/verify`: recomputes the whole hash chain.
pub async fn verify(web: Web, Form(f): Form<Csrf>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    if let Err(answer) = super_admin(&web, "/admin/audit") {
        return answer;
    }
    let notice = match audit::verify(&web.state).await {
        Ok(n) => {
            let mut args = FluentArgs::new();
            args.set("count", n);
            html! { p.notice role="status" { (web.t_with("web-audit-intact", &args)) } }
        }
        Err(e @ AuditError::Broken { .. }) => error(&format!("{}: {e}", web.t("web-audit-broken"))),
        Err(_) => error(&web.t("web-try-later")),
    };
    render_audit(&web, &AuditFilters::default(), Some(notice)).await
}

/// `GET /admin/keys`.
pub async fn key_list(web: Web) -> Response {
    if let Err(answer) = super_admin(&web, "/admin/keys") {
        return answer;
    }
    render_keys(&web, None).await
}

async fn render_keys(web: &Web, notice: Option<Markup>) -> Response {
    let published = keys::list(&web.state).await;
    let body = html! {
        (admin_nav(web, "/admin/keys"))
        @if let Some(n) = notice { (n) }
        h1 { (web.t("web-keys")) }
        p.muted { (web.t("web-keys-hint")) }
        @match &published {
            Ok(set) => {
                @for k in &set.keys {
                    div.card.row {
                        b { "kid " (k.kid) }
                        @if k.signing { span.status.confirmed { (web.t("web-key-signing")) } }
                        @else if matches!(k.status, KeyStatus::Active) { span.status.pending_payment { (web.t("web-key-next")) } }
                        @else { span.status { (web.t("web-key-retired")) } }
                        small.muted style="overflow-wrap:anywhere" { (k.public_key) }
                    }
                }
            }
            Err(_) => (error(&web.t("web-try-later"))),
        }
        form.card method="post" action="/admin/keys/rotate" {
            input type="hidden" name="csrf" value=(web.csrf);
            label for="lead_hours" { (web.t("web-key-lead")) }
            input #lead_hours name="lead_hours" type="number" min="0" max="720" value="24";
            button.danger { (web.t("web-key-rotate")) }
        }
    };
    web.respond(StatusCode::OK, page(web, &web.t("web-keys"), &body))
}

/// `POST /admin/keys/rotate`: a new key, signing after the lead time (edges sync it
/// meanwhile); older keys keep verifying.
pub async fn rotate(web: Web, Form(f): Form<Csrf>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    if let Err(answer) = super_admin(&web, "/admin/keys") {
        return answer;
    }
    let notice = match keys::rotate(&web.state, f.lead_hours.unwrap_or(24)).await {
        Ok(kid) => {
            let mut args = FluentArgs::new();
            args.set("kid", kid);
            html! { p.notice role="status" { (web.t_with("web-key-rotated", &args)) } }
        }
        Err(keys::KeyError::Invalid(i)) => error(&i.message),
        Err(_) => error(&web.t("web-try-later")),
    };
    render_keys(&web, Some(notice)).await
}
