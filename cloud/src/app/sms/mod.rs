//! Booking by SMS (docs/architecture.md, "Messages"): Twilio posts each message a driver
//! sends to `POST /api/v1/sms/inbound`; the API checks its signature and this answers
//! it. An unknown number gets a driver account keyed by it. Each MessageSid is acted on
//! once (a replay gets no answer), and a number may send `sms.per_phone_per_hour`
//! messages an hour (the first past the limit is told so; the rest get no answer).
//! Replies are in the driver's language, or Hindi when the message used a Hindi keyword,
//! and always say what happened and what to send next.

pub mod commands;

use chrono::{Datelike, Duration, NaiveTime, Utc};
use fluent_bundle::FluentArgs;
use gasq_shared::{Phone, StationCode};

use super::bookings::{self, BookingError, BookingRequest};
use super::reminders::{self, Answer};
use super::{App, accounts, slots as slot_views, vehicles, waitlist};
use crate::domain::{Actor, Booking, BookingStatus, PaymentMethod, Station, codes, slots};
use crate::messages::i18n::FALLBACK;
use crate::store::StoreError;
use commands::Command;

/// How many free times a "full" answer offers.
const ALTERNATIVES: usize = 3;

/// The reply to one inbound SMS; `None`: no reply (a replay, or past the rate limit).
pub async fn inbound(
    app: &App,
    from: &str,
    body: &str,
    message_sid: &str,
) -> Result<Option<String>, StoreError> {
    let Ok(phone) = Phone::parse(from) else {
        return Ok(None);
    };
    let now = Utc::now();
    let key = app.crypto.lookup_hash(phone.as_str());
    if !app.store.record_inbound_sms(message_sid, &key, now).await? {
        return Ok(None);
    }
    let sent = app
        .store
        .inbound_sms_since(&key, now - Duration::hours(1))
        .await?;
    let limit = i64::from(app.settings.rate_limits.sms_per_phone_per_hour);
    let user = accounts::phone_driver(app, &phone)
        .await
        .map_err(|e| StoreError::Corrupt(format!("phone account: {e}")))?;
    let (command, hint) = commands::parse(body);
    // Written in Hindi: replies, reminders and calls are in Hindi from now on.
    if let Some(lang) = hint
        && user.language != lang
    {
        let entry = crate::domain::AuditEntry {
            actor_id: Some(user.id),
            action: "user.preferences".into(),
            target: format!("user:{}", user.id),
            detail: serde_json::json!({ "language": lang, "by": "sms" }),
            ..crate::domain::AuditEntry::default()
        };
        app.store
            .set_preferences(user.id, Some(lang), None, entry)
            .await?;
    }
    let lang = hint.unwrap_or(user.language.as_str()).to_owned();
    let say = |id: &str, args: FluentArgs<'_>| render(app, &lang, id, &args);
    if sent > limit {
        return Ok((sent == limit + 1).then(|| say("sms-limit", FluentArgs::new())));
    }
    let driver = Actor {
        id: user.id,
        role: user.role,
        ip: None,
    };
    let reply = match command {
        Command::Book {
            station,
            time,
            kg,
            registration,
        } => {
            book(
                app,
                &driver,
                &say,
                &station,
                time,
                kg,
                registration.as_deref(),
            )
            .await?
        }
        Command::Status => status(app, &driver, &say).await?,
        Command::Cancel(code) => cancel(app, &driver, &say, code.as_deref()).await?,
        Command::Coming | Command::NotComing => {
            let answer = if command == Command::Coming {
                Answer::Coming
            } else {
                Answer::NotComing
            };
            match app.store.last_reminded_booking(user.id).await? {
                Some(booking) => {
                    let b = reminders::answer(app, booking, answer)
                        .await
                        .map_err(store)?;
                    // The reply says it: no second message saying the same.
                    let said = if b.status == BookingStatus::Cancelled {
                        "booking-cancelled"
                    } else {
                        "reminder-coming"
                    };
                    app.store
                        .skip_notification(&format!("{said}:{}", b.id), "answered in the SMS reply")
                        .await?;
                    let mut args = FluentArgs::new();
                    args.set("code", b.code.clone());
                    if b.status == BookingStatus::Cancelled {
                        say("sms-cancelled", args)
                    } else {
                        describe(app, &b, &mut args).await?;
                        say("reminder-coming", args)
                    }
                }
                None => say("sms-no-reminder", FluentArgs::new()),
            }
        }
        Command::Yes => take_offer(app, &driver, &say).await?,
        Command::Help => say("sms-help", FluentArgs::new()),
        Command::Unknown => say("sms-unknown", FluentArgs::new()),
    };
    // Whatever it says, at most two segments.
    Ok(Some(crate::messages::segments::fit(&reply, 2)))
}

fn render(app: &App, lang: &str, id: &str, args: &FluentArgs<'_>) -> String {
    let lang = if app.messenger.catalog.has(lang) {
        lang
    } else {
        FALLBACK
    };
    app.messenger
        .catalog
        .render(lang, id, args)
        .map_or_else(|| format!("GasQ: {id}"), |r| r.text)
}

fn store(e: BookingError) -> StoreError {
    match e {
        BookingError::Store(e) => e,
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// The booking's station and local time, as message arguments.
async fn describe(app: &App, b: &Booking, args: &mut FluentArgs<'_>) -> Result<(), StoreError> {
    if let Some(s) = app.store.station(b.station_id).await? {
        let local = b.slot_start.with_timezone(&s.policy.timezone);
        args.set("station", s.name.chars().take(24).collect::<String>());
        args.set("when", local.format("%a %d %b %H:%M").to_string());
        args.set("time", local.format("%H:%M").to_string());
    }
    Ok(())
}

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
async fn book(
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
        args.set("reason", "the station is closed then");
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
            Ok(say("sms-booked", args))
        }
        Err(BookingError::SlotFull { .. }) => {
            let free = calmer(app, &station, slot_start).await?;
            args.set("station", station.name.chars().take(24).collect::<String>());
            if free.is_empty() {
                args.set("reason", "the station is full today");
                return Ok(say("sms-refused", args));
            }
            args.set("first", free[0].clone());
            args.set("times", free.join(", "));
            Ok(say("sms-full", args))
        }
        Err(BookingError::Store(e)) => Err(e),
        Err(other) => {
            args.set("reason", other.to_string());
            Ok(say("sms-refused", args))
        }
    }
}

/// The free slots nearest to `wanted` (local `HH:MM`), nearest first.
pub(crate) async fn calmer(
    app: &App,
    station: &Station,
    wanted: chrono::DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let date = slots::local_date(&station.policy, wanted)
        .format("%Y-%m-%d")
        .to_string();
    let day = slot_views::day(app, station.id, Some(&date))
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut free: Vec<_> = day
        .into_iter()
        .filter(|s| s.available > 0 && s.start > Utc::now())
        .collect();
    free.sort_by_key(|s| (s.start - wanted).num_seconds().abs());
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

/// `YES`: takes the place offered from the waitlist.
async fn take_offer(
    app: &App,
    driver: &Actor,
    say: &impl Fn(&str, FluentArgs<'_>) -> String,
) -> Result<String, StoreError> {
    let offer = waitlist::current_offer(app, driver)
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let Some(offer) = offer else {
        return Ok(say("sms-no-offer", FluentArgs::new()));
    };
    match waitlist::accept(app, driver, offer.id).await {
        Ok(b) => {
            let intent = format!("booking-confirmed:{}", b.id);
            app.store
                .skip_notification(&intent, "confirmed in the SMS reply")
                .await?;
            let mut args = FluentArgs::new();
            args.set("code", b.code.clone());
            describe(app, &b, &mut args).await?;
            Ok(say("sms-booked", args))
        }
        Err(waitlist::WaitlistError::Store(e)) => Err(e),
        Err(_) => Ok(say("sms-no-offer", FluentArgs::new())),
    }
}

async fn status(
    app: &App,
    driver: &Actor,
    say: &impl Fn(&str, FluentArgs<'_>) -> String,
) -> Result<String, StoreError> {
    let mut mine = bookings::mine(app, driver).await.map_err(store)?;
    // The soonest first.
    mine.sort_by_key(|b| b.slot_start);
    let mut live = Vec::new();
    for b in mine.iter().filter(|b| b.status.is_live()).take(3) {
        let station = app.store.station(b.station_id).await?;
        let when = station.as_ref().map_or_else(String::new, |s| {
            b.slot_start
                .with_timezone(&s.policy.timezone)
                .format("%a %H:%M")
                .to_string()
        });
        let code = station.map_or_else(String::new, |s| s.code.to_string());
        live.push(format!("{} {code} {when}", b.code));
    }
    if live.is_empty() {
        return Ok(say("sms-status-none", FluentArgs::new()));
    }
    let mut args = FluentArgs::new();
    args.set("list", live.join("; "));
    Ok(say("sms-status", args))
}

async fn cancel(
    app: &App,
    driver: &Actor,
    say: &impl Fn(&str, FluentArgs<'_>) -> String,
    code: Option<&str>,
) -> Result<String, StoreError> {
    let Some(code) = code else {
        return Ok(say("sms-need-code", FluentArgs::new()));
    };
    let code = codes::normalize(code);
    let mut args = FluentArgs::new();
    args.set("code", code.clone());
    let mine = bookings::mine(app, driver).await.map_err(store)?;
    let Some(b) = mine.into_iter().find(|b| b.code == code) else {
        return Ok(say("sms-not-found", args));
    };
    if !b.status.is_live() {
        // Cancelled already (a repeat, or two messages at once): say so again.
        let id = if b.status == BookingStatus::Cancelled {
            "sms-cancelled"
        } else {
            "sms-not-found"
        };
        return Ok(say(id, args));
    }
    match bookings::cancel(app, driver, b.id).await {
        Ok(_) | Err(BookingError::NotCancellable(BookingStatus::Cancelled)) => {
            let intent = format!("booking-cancelled:{}", b.id);
            app.store
                .skip_notification(&intent, "answered in the SMS reply")
                .await?;
            Ok(say("sms-cancelled", args))
        }
        Err(BookingError::Store(e)) => Err(e),
        Err(_) => Ok(say("sms-not-found", args)),
    }
}
