//! Answers to reminders: "Coming" is recorded (the station's board shows who is on the
//! way), "Not coming" cancels the booking as its driver would (refunded by the station's
//! policy) and frees the place. Drivers answer by SMS (`1` / `2`) or with the signed
//! one-click link in the reminder, `/r/<token>` — the booking id and an 80-bit HMAC
//! tag under a key derived from the master key, so a link answers for one booking only.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use gasq_shared::BookingId;
use subtle::ConstantTimeEq;

use super::App;
use super::bookings::{self, BookingError};
use crate::domain::{Actor, Booking, BookingStatus};

/// A reminder's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Coming,
    NotComing,
}

/// The booking's reply link token.
pub fn reply_token(app: &App, booking: BookingId) -> String {
    let id = booking.0.as_bytes();
    let mut raw = Vec::with_capacity(26);
    raw.extend_from_slice(id);
    raw.extend_from_slice(&app.crypto.reply_link_tag(id));
    URL_SAFE_NO_PAD.encode(raw)
}

/// The reply link the reminder carries: the public URL, else this server's address.
pub fn reply_link(app: &App, booking: BookingId) -> String {
    let base = app
        .settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", app.settings.listen));
    format!(
        "{}/r/{}",
        base.trim_end_matches('/'),
        reply_token(app, booking)
    )
}

/// The booking a reply token is for, if its tag verifies.
pub fn booking_of(app: &App, token: &str) -> Option<BookingId> {
    let raw = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
    if raw.len() != 26 {
        return None;
    }
    let (id, tag) = raw.split_at(16);
    let expected = app.crypto.reply_link_tag(id);
    if !bool::from(expected.as_slice().ct_eq(tag)) {
        return None;
    }
    Some(BookingId::from(uuid::Uuid::from_slice(id).ok()?))
}

/// Records a driver's answer to the reminder of `booking`; the booking as it is after.
/// Answering again is harmless: "Coming" twice records once; "Not coming" on a cancelled
/// booking changes nothing.
pub async fn answer(
    app: &App,
    booking: BookingId,
    answer: Answer,
) -> Result<Booking, BookingError> {
    let b = app
        .store
        .booking(booking)
        .await?
        .ok_or(BookingError::NotFound)?;
    if b.status != BookingStatus::Confirmed {
        return Ok(b);
    }
    match answer {
        Answer::Coming => Ok(app.store.mark_coming(booking, Utc::now()).await?),
        Answer::NotComing => {
            let Some(driver) = app.store.user(b.user_id).await? else {
                return Err(BookingError::NotFound);
            };
            let actor = Actor {
                id: driver.id,
                role: driver.role,
                ip: None,
            };
            match bookings::cancel(app, &actor, booking).await {
                // Answered twice at once: the other answer cancelled it.
                Err(BookingError::NotCancellable(_)) => app
                    .store
                    .booking(booking)
                    .await?
                    .ok_or(BookingError::NotFound),
                other => other,
            }
        }
    }
}
