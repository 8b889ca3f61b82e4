//! Users and roles for super admins, `/admin/users`: find people by role or name, give
//! one another role (their sessions end, so it applies at their next sign-in), and
//! assign staff to a station. Staff sign up like drivers and are promoted here.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use gasq_shared::UserId;
use maud::{Markup, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::network::{admin_nav, super_admin};
use super::session::Web;
use crate::app::{people, stations};
use crate::domain::{Actor, Role};

const ROLES: [Role; 4] = [
    Role::Driver,
    Role::StationAdmin,
    Role::Technician,
    Role::SuperAdmin,
];

#[derive(Debug, Default, Deserialize)]
pub struct Find {
    #[serde(default)]
    role: String,
    #[serde(default)]
    q: String,
}

fn role_name(web: &Web, role: Role) -> String {
    web.t(&format!("web-role-{}", role.as_str().replace('_', "-")))
}

/// `GET /admin/users`.
pub async fn list(web: Web, Query(find): Query<Find>) -> Response {
    let actor = match super_admin(&web, "/admin/users") {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    render(&web, &actor, &find, None).await
}

async fn render(web: &Web, actor: &Actor, find: &Find, notice: Option<Markup>) -> Response {
    let role = Role::parse(&find.role);
    let users = people::users(&web.state, actor, role, Some(&find.q))
        .await
        .unwrap_or_default();
    let all_stations = stations::list(&web.state).await.unwrap_or_default();
    let body = html! {
        (admin_nav(web, "/admin/users"))
        @if let Some(n) = notice { (n) }
        h1 { (web.t("web-users")) }
        form.card method="get" action="/admin/users" {
            label for="q" { (web.t("web-name-label")) }
            input #q name="q" value=(find.q) autocomplete="off";
            label for="role" { (web.t("web-role")) }
            select #role name="role" {
                option value="" { (web.t("web-any-role")) }
                @for r in ROLES { option value=(r.as_str()) selected[role == Some(r)] { (role_name(web, r)) } }
            }
            button { (web.t("web-find")) }
        }
        @if users.is_empty() { p.muted { (web.t("web-users-none")) } }
        @for u in &users {
            section.card {
                div.row { b { (u.name) } span.status { (role_name(web, u.role)) } }
                @if u.id != actor.id {
                    form method="post" action={ "/admin/users/" (u.id) "/role" } {
                        input type="hidden" name="csrf" value=(web.csrf);
                        label for={ "role-" (u.id) } { (web.t("web-role")) }
                        select id={ "role-" (u.id) } name="role" {
                            @for r in ROLES { option value=(r.as_str()) selected[u.role == r] { (role_name(web, r)) } }
                        }
                        button.plain { (web.t("web-change-role")) }
                    }
                }
                @if matches!(u.role, Role::StationAdmin | Role::Technician) {
                    form method="post" action={ "/admin/users/" (u.id) "/stations" } {
                        input type="hidden" name="csrf" value=(web.csrf);
                        label for={ "st-" (u.id) } { (web.t("web-assign-station")) }
                        select id={ "st-" (u.id) } name="station" {
                            @for s in &all_stations { option value=(s.id) { (s.code) " · " (s.name) } }
                        }
                        button.plain { (web.t("web-assign")) }
                    }
                }
            }
        }
    };
    web.respond(StatusCode::OK, page(web, &web.t("web-users"), &body))
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/users/{id}/role`.
pub async fn set_role(web: Web, Path(id): Path<String>, Form(f): Form<RoleForm>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let actor = match super_admin(&web, "/admin/users") {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let (Ok(user), Some(role)) = (id.parse::<uuid::Uuid>(), Role::parse(&f.role)) else {
        return render(
            &web,
            &actor,
            &Find::default(),
            Some(error(&web.t("web-role-refused"))),
        )
        .await;
    };
    let notice = match people::set_role(&web.state, &actor, UserId(user), role).await {
        Ok(_) => html! { p.notice role="status" { (web.t("web-role-changed")) } },
        Err(people::PeopleError::Invalid(i)) => error(&i.message),
        Err(_) => error(&web.t("web-role-refused")),
    };
    render(&web, &actor, &Find::default(), Some(notice)).await
}

#[derive(Debug, Default, Deserialize)]
pub struct StationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    station: String,
}

/// `POST /admin/users/{id}/stations`: assigns a station admin or technician.
pub async fn assign(web: Web, Path(id): Path<String>, Form(f): Form<StationForm>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let actor = match super_admin(&web, "/admin/users") {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let found = match (
        id.parse::<uuid::Uuid>(),
        stations::find(&web.state, &f.station).await,
    ) {
        (Ok(user), Ok(station)) => {
            stations::assign_staff(&web.state, &actor, station.id, UserId(user)).await
        }
        _ => Err(stations::StationError::NotFound("station")),
    };
    let notice = match found {
        Ok(()) => html! { p.notice role="status" { (web.t("web-assigned")) } },
        Err(_) => error(&web.t("web-assign-refused")),
    };
    render(&web, &actor, &Find::default(), Some(notice)).await
}
