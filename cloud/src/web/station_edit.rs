//! Stations for super admins: a new one (`POST /admin/stations`) from the form on the
//! stations list, and each one's name, place on the map, lanes and opening hours
//! (`/admin/stations/{id}/edit`). The same use cases, checks and audit as the API.

use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use gasq_shared::StationId;
use gasq_shared::policy::{DayMinute, PolicyChanges};
use maud::{Markup, html};
use serde::Deserialize;

use super::account::expired_form;
use super::layout::{error, page};
use super::network::{admin_nav, super_admin};
use super::session::Web;
use super::stations::not_found;
use crate::app::stations::{self, StationChanges, StationError, StationRequest};
use crate::domain::Station;

/// The station form as posted (text; empty = unchanged on an edit).
#[derive(Debug, Default, Deserialize)]
pub struct StationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    lanes: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
}

fn text(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl StationForm {
    /// The changes asked for, or the name of the first field that cannot be read.
    fn changes(&self) -> Result<StationChanges, &'static str> {
        let num = |s: &str, field: &'static str| match text(s) {
            None => Ok(None),
            Some(t) => t
                .replace(',', ".")
                .parse::<f64>()
                .map(Some)
                .map_err(|_| field),
        };
        let time = |s: &str, field: &'static str| match text(s) {
            None => Ok(None),
            Some(t) => DayMinute::parse(&t).map(Some).ok_or(field),
        };
        let lanes = match text(&self.lanes) {
            None => None,
            Some(t) => Some(t.parse::<u16>().map_err(|_| "lanes")?),
        };
        Ok(StationChanges {
            name: text(&self.name),
            lat: num(&self.lat, "lat")?,
            lon: num(&self.lon, "lon")?,
            policy: PolicyChanges {
                lanes,
                opens_at: time(&self.opens_at, "opens_at")?,
                closes_at: time(&self.closes_at, "closes_at")?,
                ..PolicyChanges::default()
            },
            ..StationChanges::default()
        })
    }
}

fn refused(web: &Web, e: &StationError) -> Markup {
    match e {
        StationError::Invalid(i) => error(&format!("{}: {}", i.field.replace('_', " "), i.message)),
        StationError::Exists(m) => error(m),
        _ => error(&web.t("web-try-later")),
    }
}

/// The form for a new station, on the stations list.
pub fn new_station_form(web: &Web) -> Markup {
    html! {
        form.card method="post" action="/admin/stations" {
            h2 style="margin-top:0" { (web.t("web-station-new")) }
            input type="hidden" name="csrf" value=(web.csrf);
            label for="code" { (web.t("web-station-code")) }
            input #code name="code" required placeholder="PUN-0007" autocomplete="off";
            (fields(web, None))
            button { (web.t("web-station-create")) }
        }
    }
}

fn fields(web: &Web, s: Option<&Station>) -> Markup {
    let v = |f: fn(&Station) -> String| s.map(f).unwrap_or_default();
    html! {
        label for="name" { (web.t("web-name-label")) }
        input #name name="name" value=(v(|s| s.name.clone())) required[s.is_none()];
        div.row {
            div style="flex:1" { label for="lat" { (web.t("web-station-lat")) } input #lat name="lat" inputmode="decimal" value=(v(|s| s.lat.to_string())) required[s.is_none()]; }
            div style="flex:1" { label for="lon" { (web.t("web-station-lon")) } input #lon name="lon" inputmode="decimal" value=(v(|s| s.lon.to_string())) required[s.is_none()]; }
        }
        @if let Some(s) = s {
            a href={ "https://www.openstreetmap.org/?mlat=" (s.lat) "&mlon=" (s.lon) "#map=17/" (s.lat) "/" (s.lon) } rel="noopener" target="_blank" { (web.t("web-station-map")) }
        }
        label for="lanes" { (web.t("web-station-lanes")) }
        input #lanes name="lanes" type="number" min="1" max="64" value=(v(|s| s.policy.lanes.to_string())) required[s.is_none()];
        div.row {
            div style="flex:1" { label for="opens_at" { (web.t("web-station-opens")) } input #opens_at name="opens_at" placeholder="06:00" value=(v(|s| s.policy.opens_at.to_string())); }
            div style="flex:1" { label for="closes_at" { (web.t("web-station-closes")) } input #closes_at name="closes_at" placeholder="22:00" value=(v(|s| s.policy.closes_at.to_string())); }
        }
    }
}

/// `POST /admin/stations`: creates a station.
pub async fn create(web: Web, Form(f): Form<StationForm>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let actor = match super_admin(&web, "/admin/stations") {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let made = match f.changes() {
        Ok(settings) => {
            let (lat, lon) = (
                settings.lat.unwrap_or(f64::NAN),
                settings.lon.unwrap_or(f64::NAN),
            );
            let settings = StationChanges {
                lat: None,
                lon: None,
                ..settings
            };
            let req = StationRequest {
                code: f.code.trim().to_owned(),
                lat,
                lon,
                settings,
            };
            stations::create(&web.state, Some(&actor), req)
                .await
                .map_err(|e| refused(&web, &e))
        }
        Err(field) => Err(error(&format!("{field}: {}", web.t("web-not-a-number")))),
    };
    match made {
        Ok(s) => web.redirect(&format!("/admin/stations/{}/edit?created=1", s.id)),
        Err(notice) => {
            let body =
                html! { (admin_nav(&web, "/admin/stations")) (notice) (new_station_form(&web)) };
            web.respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&web, &web.t("web-station-new"), &body),
            )
        }
    }
}

async fn station_of(web: &Web, id: &str) -> Option<Station> {
    let id = StationId::new(id.parse::<u32>().ok()?).ok()?;
    stations::get(&web.state, id).await.ok()
}

fn render(web: &Web, s: &Station, notice: Option<Markup>) -> Response {
    let body = html! {
        (admin_nav(web, "/admin/stations"))
        @if let Some(n) = notice { (n) }
        h1 { (s.name) " " span.muted { (s.code) } }
        form.card method="post" action={ "/admin/stations/" (s.id) "/edit" } {
            input type="hidden" name="csrf" value=(web.csrf);
            (fields(web, Some(s)))
            button { (web.t("web-save")) }
        }
        p { a href={ "/admin/stations/" (s.id) } { (web.t("web-lane-board")) } " · " a href={ "/admin/stations/" (s.id) "/office" } { (web.t("web-office")) } }
    };
    web.respond(StatusCode::OK, page(web, &s.name, &body))
}

/// `GET /admin/stations/{id}/edit`.
pub async fn show(web: Web, Path(id): Path<String>) -> Response {
    if let Err(answer) = super_admin(&web, "/admin/stations") {
        return answer;
    }
    match station_of(&web, &id).await {
        Some(s) => render(&web, &s, None),
        None => not_found(&web),
    }
}

/// `POST /admin/stations/{id}/edit`.
pub async fn save(web: Web, Path(id): Path<String>, Form(f): Form<StationForm>) -> Response {
    if !web.csrf_ok(&f.csrf) {
        return expired_form(&web);
    }
    let actor = match super_admin(&web, "/admin/stations") {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let Some(before) = station_of(&web, &id).await else {
        return not_found(&web);
    };
    let saved = match f.changes() {
        Ok(c) => stations::update(&web.state, &actor, before.id, c)
            .await
            .map_err(|e| refused(&web, &e)),
        Err(field) => Err(error(&format!("{field}: {}", web.t("web-not-a-number")))),
    };
    match saved {
        Ok(s) => render(
            &web,
            &s,
            Some(html! { p.notice role="status" { (web.t("web-saved")) } }),
        ),
        Err(notice) => render(&web, &before, Some(notice)),
    }
}
