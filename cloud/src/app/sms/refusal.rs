//! Why a booking by SMS or phone was refused, in the driver's words and the station's
//! time: the arguments of the `refusal` message (its `$why` picks the sentence), never
//! the API's text with its field names and UTC times.

use chrono::{DateTime, Utc};
use fluent_bundle::FluentArgs;

use crate::app::bookings::BookingError;
use crate::domain::Station;

/// A refusal without details: `closed`, `full-today`, `no-caller`, `other`.
pub(crate) fn plain(why: &'static str) -> FluentArgs<'static> {
    let mut args = FluentArgs::new();
    args.set("why", why);
    args
}

/// The refusal a booking error means at `station`.
pub(crate) fn of_error(err: &BookingError, station: &Station) -> FluentArgs<'static> {
    match err {
        BookingError::Limit(hit) => {
            let mut args = plain(hit.which());
            args.set("until", local_time(station, hit.frees_at()));
            args
        }
        BookingError::SlotFull { .. } => plain("full-today"),
        BookingError::Invalid(bad) if bad.field == "quantity_kg" => plain("kg"),
        BookingError::Invalid(bad) if bad.field == "slot_start" => plain("closed"),
        _ => plain("other"),
    }
}

/// `17:45` today at the station, `Sun 17:45` on another day.
fn local_time(station: &Station, at: DateTime<Utc>) -> String {
    let tz = station.policy.timezone;
    let local = at.with_timezone(&tz);
    if local.date_naive() == Utc::now().with_timezone(&tz).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%a %H:%M").to_string()
    }
}
