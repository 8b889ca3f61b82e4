//! Answers to reminders: "Coming" is recorded (the station's board shows who is on the
//! way), "Not coming" cancels the booking as its driver would (refunded by the station's
//! policy) and frees the place. Drivers answer by SMS (`1` / `2`) or with the signed
//! one-click link in the reminder, `/r/<token>` (`app/links.rs`: a link answers for one
//! booking only).

use chrono::Utc;
use gasq_shared::BookingId;

use super::App;
use super::bookings::{self, BookingError};
use super::links::{self, Purpose};
use crate::domain::{Actor, Booking, BookingStatus};

/// A reminder's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Coming,
    NotComing,
}

/// The booking's reply link token.
pub fn reply_token(app: &App, booking: BookingId) -> String {
    links::token(app, Purpose::Reply, booking.0)
}

/// The reply link the reminder carries.
pub fn reply_link(app: &App, booking: BookingId) -> String {
    links::url(app, Purpose::Reply, booking.0)
}

/// The booking a reply token is for, if its tag verifies.
pub fn booking_of(app: &App, token: &str) -> Option<BookingId> {
    links::id_of(app, Purpose::Reply, token).map(BookingId::from)
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
