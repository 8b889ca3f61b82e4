//! Booking by SMS (docs/architecture.md, "Messages"): Twilio posts each message a driver
//! sends to `POST /api/v1/sms/inbound`; the API checks its signature and this answers
//! it. An unknown number gets a driver account keyed by it. Each MessageSid is acted on
//! once (a replay gets no answer), and a number may send `sms.per_phone_per_hour`
//! messages an hour (the first past the limit is told so; the rest get no answer).
//! Replies are in the driver's language, or Hindi when the message used a Hindi keyword,
//! and always say what happened and what to send next.

mod book;
pub mod commands;
pub(crate) mod refusal;

pub(crate) use book::{calmer, slot_at};

use chrono::{Duration, Utc};
use fluent_bundle::FluentArgs;
use gasq_shared::Phone;

use super::bookings::{self, BookingError};
use super::reminders::{self, Answer};
use super::{App, accounts, waitlist};
use crate::domain::{Actor, Booking, BookingStatus, codes};
use crate::messages::i18n::FALLBACK;
use crate::store::StoreError;
use commands::Command;

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
            book::book(
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
