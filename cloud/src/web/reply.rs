//! The reminder's one-click link, `/r/<token>`: a page naming the booking with Coming
//! and Not coming buttons. Opening the link changes nothing (link previewers open links
//! too); pressing a button posts the answer.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::page::{esc, link_page as page};
use crate::app::reminders::{self, Answer};
use crate::domain::{Booking, BookingStatus};
use crate::state::AppState;

fn unknown() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Link not recognised",
        "<p>This link is not valid. Open your bookings in GasQ, or reply to the reminder SMS \
         with 1 (coming) or 2 (not coming).</p>",
    )
}

async fn describe(state: &AppState, b: &Booking) -> String {
    let station = state.store.station(b.station_id).await.ok().flatten();
    let (name, when) = station.map_or_else(
        || (String::new(), b.slot_start.to_rfc3339()),
        |s| {
            let local = b.slot_start.with_timezone(&s.policy.timezone);
            (s.name, local.format("%a %d %b, %H:%M").to_string())
        },
    );
    format!(
        "<div class=\"card\"><b>{}</b><div>{}</div><div class=\"muted\">booking {}</div></div>",
        esc(&name),
        esc(&when),
        esc(&b.code)
    )
}

async fn booking(state: &AppState, token: &str) -> Option<Booking> {
    let id = reminders::booking_of(state, token)?;
    state.store.booking(id).await.ok().flatten()
}

/// `GET /r/{token}`.
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some(b) = booking(&state, &token).await else {
        return unknown();
    };
    let what = describe(&state, &b).await;
    if b.status != BookingStatus::Confirmed {
        let body = format!(
            "{what}<p>This booking is {}: nothing to answer.</p>",
            b.status.as_str().replace('_', " ")
        );
        return page(StatusCode::OK, "Your booking", &body);
    }
    let noted = if b.coming_at.is_some() {
        "<p>You said you are coming. Thank you.</p>"
    } else {
        ""
    };
    let body = format!(
        "{what}{noted}<form method=\"post\" action=\"/r/{token}\">\
         <button class=\"pay\" name=\"answer\" value=\"coming\">Coming</button>\
         <button class=\"fail\" name=\"answer\" value=\"not_coming\">Not coming (cancel)</button>\
         </form><p class=\"muted\">Not coming cancels the booking, refunded by the station's \
         policy, and gives the place to someone waiting.</p>",
        token = esc(&token)
    );
    page(StatusCode::OK, "Are you coming?", &body)
}

#[derive(Debug, Deserialize)]
pub struct Reply {
    answer: String,
}

/// `POST /r/{token}`: the answer.
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(reply): Form<Reply>,
) -> Response {
    let Some(id) = reminders::booking_of(&state, &token) else {
        return unknown();
    };
    let answer = match reply.answer.as_str() {
        "coming" => Answer::Coming,
        "not_coming" => Answer::NotComing,
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "Coming or not?",
                "<p>Press Coming or Not coming.</p>",
            );
        }
    };
    match reminders::answer(&state, id, answer).await {
        Ok(b) => {
            let what = describe(&state, &b).await;
            let said = match (answer, b.status) {
                (Answer::Coming, BookingStatus::Confirmed) => {
                    "Thank you: the station expects you. Show your QR or code at the lane."
                }
                (Answer::NotComing, BookingStatus::Cancelled) => {
                    "Cancelled: your place goes to someone waiting. Any refund is on its way."
                }
                _ => "This booking can no longer be changed.",
            };
            page(StatusCode::OK, "Thank you", &format!("{what}<p>{said}</p>"))
        }
        Err(e) => {
            tracing::warn!(error = %e, "reminder answer");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Not recorded",
                "<p>Your answer could not be recorded: try again in a minute.</p>",
            )
        }
    }
}
