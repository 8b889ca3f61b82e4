//! The public wait board, `/s/{station code}`: big numbers for a forecourt screen or a
//! phone, live over server-sent events (`/s/{code}/events`: the board as JSON when the
//! station changes, and every 10 s at the latest), no login, nothing personal.

use std::convert::Infallible;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use fluent_bundle::FluentArgs;
use futures::Stream;
use gasq_shared::StationCode;
use maud::{Markup, html};

use super::layout::page;
use super::session::Web;
use super::stations::not_found;
use crate::app::board::{self, Board};
use crate::app::board_hub;
use crate::domain::Station;
use crate::state::AppState;

async fn station(state: &AppState, code: &str) -> Option<Station> {
    let code = StationCode::parse(code).ok()?;
    state.store.station_by_code(&code).await.ok().flatten()
}

fn board_markup(web: &Web, b: &Board) -> Markup {
    let mut wait = FluentArgs::new();
    wait.set("minutes", b.walkin_wait_minutes.unwrap_or(0));
    html! {
        section #board data-board={ "/s/" (b.code) "/events" } {
            h1 { (b.name) }
            p.error #stale hidden[!b.stale] role="status" { (web.t("web-board-stale")) }
            div.row {
                div.card style="flex:1;text-align:center" {
                    div.muted { (web.t("web-board-waiting")) }
                    div.code #waiting { (b.waiting.map_or("–".to_owned(), |w| w.to_string())) }
                }
                div.card style="flex:1;text-align:center" {
                    div.muted { (web.t("web-board-wait")) }
                    div.code #wait data-unit=(web.t("web-minutes-unit")) { (b.walkin_wait_minutes.map_or("–".to_owned(), |m| format!("{m} {}", web.t("web-minutes-unit")))) }
                }
            }
            h2 { (web.t("web-board-lanes")) }
            div.slots #lanes {
                @for l in &b.lanes { (lane_tile(web, l.lane, l.up, b.stale)) }
            }
            h2 { (web.t("web-board-calm")) }
            p #calm data-none=(web.t("web-board-no-calm")) {
                @if b.calm_slots.is_empty() { (web.t("web-board-no-calm")) }
                @for s in &b.calm_slots { span.status.low style="margin-right:.4rem" { (s.time) } }
            }
        }
    }
}

/// `GET /s/{code}`.
pub async fn show(web: Web, Path(code): Path<String>) -> Response {
    let Some(s) = station(&web.state, &code).await else {
        return not_found(&web);
    };
    match board::of_station(&web.state, &s).await {
        Ok(b) => {
            let body = board_markup(&web, &b);
            web.respond(StatusCode::OK, page(&web, &b.name, &body))
        }
        Err(_) => super::stations::busy(&web),
    }
}

/// `GET /s/{code}/events`: the board as JSON, now and whenever it may have changed.
pub async fn events(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(code): Path<String>,
) -> Response {
    let Some(s) = station(&state, &code).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    Sse::new(board_stream(state, s))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// The station's one shared board (`app/board_hub.rs`): now, then each time it is
/// rebuilt.
fn board_stream(
    state: AppState,
    station: Station,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let watch = board_hub::watch(&state, &station);
    futures::stream::unfold((watch, true), |(mut watch, first)| async move {
        // The first board at once when there is one; then each rebuild.
        if (!first || watch.borrow().is_none()) && watch.changed().await.is_err() {
            return None; // the server is shutting down
        }
        let event = match watch.borrow_and_update().as_deref() {
            Some(b) => Event::default()
                .event("board")
                .json_data(b)
                .unwrap_or_else(|_| Event::default().comment("unserialisable")),
            None => Event::default().comment("busy"),
        };
        Some((Ok(event), (watch, false)))
    })
}

/// One lane's tile: green when open, grey struck through when closed — and grey
/// "not confirmed" when open as far as the cloud knows but no box has reported lately
/// (nobody can say it is really serving). The live script keeps it so.
pub fn lane_tile(web: &Web, lane: u16, up: bool, stale: bool) -> maud::Markup {
    let (class, word) = match (up, stale) {
        (false, _) => ("full", "web-board-lane-down"),
        (true, true) => ("unknown", "web-board-lane-unknown"),
        (true, false) => ("low", "web-board-lane-up"),
    };
    maud::html! {
        div class={ "slot " (class) } data-lane=(lane)
            data-up=(web.t("web-board-lane-up")) data-down=(web.t("web-board-lane-down"))
            data-unknown=(web.t("web-board-lane-unknown")) {
            b { (web.t("web-board-lane")) " " (lane) }
            small { (web.t(word)) }
        }
    }
}
