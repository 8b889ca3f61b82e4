//! A waitlist offer's one-click link, `/o/<token>`: a page naming the place held for
//! the driver, with a button that takes it. Opening the link changes nothing (link
//! previewers open links too); pressing the button books the place.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId};

use super::page::{esc, link_page as page};
use crate::app::bookings::BookingError;
use crate::app::waitlist::{self, WaitlistError};
use crate::state::AppState;
use crate::store::WaitEntry;

fn unknown() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Link not recognised",
        "<p>This link is not valid. Open your bookings in GasQ, or reply YES to the offer \
         SMS.</p>",
    )
}

fn busy() -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again",
        "<p>Something went wrong on our side: try again in a minute.</p>",
    )
}

/// The station and local time of a slot, as a card; and the station's local `HH:MM`
/// for another instant.
async fn describe(
    state: &AppState,
    e: &WaitEntry,
) -> (String, Box<dyn Fn(DateTime<Utc>) -> String>) {
    let station = match StationId::try_from(e.station_id) {
        Ok(id) => state.store.station(id).await.ok().flatten(),
        Err(_) => None,
    };
    let Some(s) = station else {
        return (String::new(), Box::new(|t: DateTime<Utc>| t.to_rfc3339()));
    };
    let tz = s.policy.timezone;
    let when = e.slot_start.with_timezone(&tz).format("%a %d %b, %H:%M");
    let card = format!(
        "<div class=\"card\"><b>{}</b><div>{}</div></div>",
        esc(&s.name),
        esc(&when.to_string())
    );
    (
        card,
        Box::new(move |t: DateTime<Utc>| t.with_timezone(&tz).format("%H:%M").to_string()),
    )
}

/// `GET /o/{token}`.
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let (entry, _) = match waitlist::by_link(&state, &token).await {
        Ok(Some(found)) => found,
        Ok(None) => return unknown(),
        Err(_) => return busy(),
    };
    let (what, local) = describe(&state, &entry).await;
    let live_offer =
        entry.status == "offered" && entry.offer_expires_at.is_some_and(|t| t > Utc::now());
    if live_offer {
        let until = entry.offer_expires_at.map(&local).unwrap_or_default();
        let body = format!(
            "{what}<p>This place is held for you until <b>{until}</b>.</p>\
             <form method=\"post\" action=\"/o/{token}\">\
             <button class=\"pay\">Take this place</button></form>\
             <p class=\"muted\">You pay at the station. If you do not take it, it goes to the \
             next driver waiting.</p>",
            until = esc(&until),
            token = esc(&token)
        );
        return page(StatusCode::OK, "A place is free for you", &body);
    }
    let said = match entry.status.as_str() {
        "booked" => "You took this place. Your booking and its QR are in GasQ.",
        "waiting" => "You are on the waitlist. We send you a message when a place frees.",
        "left" => "You left this waitlist.",
        _ => "This offer has lapsed: the place went to the next driver waiting.",
    };
    page(
        StatusCode::OK,
        "Your place",
        &format!("{what}<p>{said}</p>"),
    )
}

/// `POST /o/{token}`: takes the place.
pub async fn submit(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let (entry, driver) = match waitlist::by_link(&state, &token).await {
        Ok(Some(found)) => found,
        Ok(None) => return unknown(),
        Err(_) => return busy(),
    };
    let (what, _) = describe(&state, &entry).await;
    match waitlist::accept(&state, &driver, entry.id).await {
        Ok(b) => {
            let body = format!(
                "{what}<p>Booked. Your code is <b>{}</b>: show it, or the QR in GasQ, at the \
                 lane. We sent it to you as well.</p>",
                esc(&b.code)
            );
            page(StatusCode::OK, "Booked", &body)
        }
        Err(WaitlistError::NoOffer) => {
            // Taken already (a second press, or YES by SMS)?
            let booked = entry.booking_id.map(BookingId::from);
            let said = if booked.is_some() {
                "You already took this place. Your booking is in GasQ."
            } else {
                "This offer is no longer open: it lapsed, or the place went to the next driver."
            };
            page(
                StatusCode::CONFLICT,
                "Not booked",
                &format!("{what}<p>{said}</p>"),
            )
        }
        Err(WaitlistError::Booking(err @ BookingError::Limit(_))) => {
            let station = match StationId::try_from(entry.station_id) {
                Ok(id) => state.store.station(id).await.ok().flatten(),
                Err(_) => None,
            };
            let why = station.and_then(|s| {
                let args = crate::app::sms::refusal::of_error(&err, &s);
                state.messenger.catalog.render("en", "refusal", &args)
            });
            let why = why.map_or_else(|| err.to_string(), |r| r.text);
            let body = format!("{what}<p>Not booked: {}.</p>", esc(&why));
            page(StatusCode::CONFLICT, "Not booked", &body)
        }
        Err(e) => {
            tracing::warn!(error = %e, "offer link");
            busy()
        }
    }
}
