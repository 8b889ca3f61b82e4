//! `BOOK <station> <HH:MM> [kg] [vehicle]` by SMS: the slot the time falls in, the
//! vehicle (added on first use), and — when the slot is full — the nearest free times.

use chrono::{Datelike, Duration, NaiveTime, Utc};
use fluent_bundle::FluentArgs;
use gasq_shared::StationCode;

use super::{describe, refusal};
use crate::app::bookings::{self, BookingError, BookingRequest};
use crate::app::{App, slots as slot_views, suggest, vehicles};
use crate::domain::{Actor, PaymentMethod, Station, slots};
use crate::store::StoreError;

/// How many free times a "full" answer offers.
const ALTERNATIVES: usize = 3;

/// The slot of `station` that `time` (local) falls in: today's, or tomorrow's when that
/// has passed.
pub(crate) fn slot_at(station: &Station, time: NaiveTime) -> Option<chrono::DateTime<Utc>> {
    let now = Utc::now();
    let today = slots::local_date(&station.policy, now);
    for date in [today, today + Duration::days(1)] {
        let starts = slots::slot_starts(&station.policy, date);
        // The slot the time falls in: started by then and not yet over (a time after
        // closing, or in a midday closure, has none).
        let wanted = starts.into_iter().rev().find(|s| {
            let local = s.with_timezone(&station.policy.timezone);
            let end = slots::slot_end(&station.policy, *s).with_timezone(&station.policy.timezone);
            local.day() == date.day()
                && local.time() <= time
                && (end.time() > time || end.date_naive() > local.date_naive())
        });
        if let Some(start) = wanted
            && slots::slot_end(&station.policy, start) > now
        {
            return Some(start);
        }
    }
    None
}

#[allow(clippy::too_many_arguments)] // the command's fields
pub(super) async fn book(
    app: &App,
    driver: &Actor,
    say: &impl Fn(&str, FluentArgs<'_>) -> String,
    station_code: &str,
    time: Option<NaiveTime>,
    kg: Option<f64>,
    registration: Option<&str>,
) -> Result<String, StoreError> {
    let mut args = FluentArgs::new();
    args.set(
        "station_code",
        station_code.chars().take(16).collect::<String>(),
    );
    let station = match StationCode::parse(station_code) {
        Ok(code) => app.store.station_by_code(&code).await?,
        Err(_) => None,
    };
    let Some(station) = station else {
        return Ok(say("sms-no-station", args));
    };
    let Some(time) = time else {
        return Ok(say("sms-need-time", args));
    };
    if kg.is_some_and(|kg| !(0.5..=100.0).contains(&kg)) {
        args.set("reason", say("refusal", refusal::plain("kg")));
        return Ok(say("sms-refused", args));
    }
    args.set("time", time.format("%H:%M").to_string());
    let vehicle = match registration {
        Some(reg) => match vehicles::add(app, driver, reg).await {
            Ok(v) => Some(v),
            // Already one of the driver's (or not a registration): look it up.
            Err(_) => {
                let wanted = gasq_shared::VehicleReg::parse(reg).ok();
                vehicles::list(app, driver)
                    .await
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?
                    .into_iter()
                    .find(|v| Some(&v.registration) == wanted.as_ref())
            }
        },
        None => {
            let mine = vehicles::list(app, driver)
                .await
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            (mine.len() == 1).then(|| mine[0].clone())
        }
    };
    let Some(vehicle) = vehicle else {
        return Ok(say("sms-need-vehicle", args));
    };
    let Some(slot_start) = slot_at(&station, time) else {
        args.set("reason", say("refusal", refusal::plain("closed")));
        return Ok(say("sms-refused", args));
    };
    let req = BookingRequest {
        station_id: station.id,
        vehicle_id: vehicle.id,
        slot_start,
        quantity_kg: kg,
        payment_method: PaymentMethod::AtStation,
    };
    match bookings::book(app, driver, req, None).await {
        Ok(booked) => {
            // The reply is the confirmation: no second SMS saying the same.
            let intent = format!("booking-confirmed:{}", booked.booking.id);
            app.store
                .skip_notification(&intent, "confirmed in the SMS reply")
                .await?;
            let mut args = FluentArgs::new();
            args.set("code", booked.booking.code.clone());
            describe(app, &booked.booking, &mut args).await?;
            let reply = say("sms-booked", args);
            // A rush slot: booked as asked, with the calmer times beside it.
            let calmer: Vec<String> = suggest::if_rush(app, &station, slot_start)
                .await?
                .map(|s| s.slots)
                .unwrap_or_default()
                .iter()
                .take(2)
                .map(|s| {
                    s.start
                        .with_timezone(&station.policy.timezone)
                        .format("%H:%M")
                        .to_string()
                })
                .collect();
            if calmer.is_empty() {
                return Ok(reply);
            }
            let mut note = FluentArgs::new();
            note.set("calm", calmer.join(", "));
            Ok(format!("{reply} {}", say("sms-rush-note", note)))
        }
        Err(BookingError::SlotFull { .. }) => {
            let free = calmer(app, &station, slot_start).await?;
            let nearby = nearby(app, &station, slot_start, say).await?;
            args.set("station", station.name.chars().take(24).collect::<String>());
            let reply = if free.is_empty() {
                args.set("reason", say("refusal", refusal::plain("full-today")));
                say("sms-refused", args)
            } else {
                // The command to send, whole: with the vehicle (a driver with two
                // vehicles would otherwise be asked which).
                args.set("first", format!("{} {}", free[0], vehicle.registration));
                args.set("times", free.join(", "));
                say("sms-full", args)
            };
            Ok(match nearby {
                // Only whole: a line cut at the segment limit would be a wrong command.
                Some(line) if fits(&format!("{reply}\n{line}")) => format!("{reply}\n{line}"),
                Some(_) => reply,
                None => reply,
            })
        }
        Err(BookingError::Store(e)) => Err(e),
        Err(other) => {
            args.set(
                "reason",
                say("refusal", refusal::of_error(&other, &station)),
            );
            Ok(say("sms-refused", args))
        }
    }
}

/// Whether a reply fits the two segments replies are cut to.
fn fits(text: &str) -> bool {
    crate::messages::segments::measure(text).1 <= 2
}

/// The calmest station nearby with a place at about `wanted`, as a line to send
/// (`Or BOOK PUN-0007 17:45, 2.4 km away.`), if there is one.
async fn nearby(
    app: &App,
    station: &Station,
    wanted: chrono::DateTime<Utc>,
    say: &impl Fn(&str, FluentArgs<'_>) -> String,
) -> Result<Option<String>, StoreError> {
    let suggestions = suggest::around(app, station, wanted).await?;
    let Some(other) = suggestions.stations.first() else {
        return Ok(None);
    };
    let Some(theirs) = app.store.station(other.station_id).await? else {
        return Ok(None);
    };
    let mut args = FluentArgs::new();
    args.set("station_code", other.code.clone());
    args.set(
        "time",
        other
            .start
            .with_timezone(&theirs.policy.timezone)
            .format("%H:%M")
            .to_string(),
    );
    args.set("km", format!("{:.1}", other.distance_km));
    Ok(Some(say("sms-nearby", args)))
}

/// The free slots nearest to `wanted` (local `HH:MM`): those the forecast does not call
/// a rush first, nearest first.
pub(crate) async fn calmer(
    app: &App,
    station: &Station,
    wanted: chrono::DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let now = Utc::now();
    let date = slots::local_date(&station.policy, wanted);
    let mut free: Vec<_> = slot_views::of_station(app, station, date, now)
        .await?
        .into_iter()
        .filter(|s| s.available > 0 && s.start > now)
        .collect();
    // Calm slots first (the forecast's rush hours last), nearest the time wanted first.
    free.sort_by_key(|s| {
        (
            s.rush_level == slot_views::RushLevel::High,
            (s.start - wanted).num_seconds().abs(),
        )
    });
    Ok(free
        .into_iter()
        .take(ALTERNATIVES)
        .map(|s| {
            s.start
                .with_timezone(&station.policy.timezone)
                .format("%H:%M")
                .to_string()
        })
        .collect())
}
