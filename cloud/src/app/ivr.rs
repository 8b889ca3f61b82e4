//! Booking by phone call (docs/architecture.md, "Messages"): Twilio posts each step of a
//! call to `POST /api/v1/ivr/voice`; this answers with TwiML — `<Gather>` the keys,
//! `<Say>` in the caller's language. The call's state (step, language, station, time,
//! kilograms, wrong tries) rides in the query of the next step's URL, which Twilio signs
//! with the rest: a caller cannot alter it. A wrong key re-asks; the third ends the call
//! politely. The booking is paid at the station and its code goes by SMS too.

use chrono::NaiveTime;
use fluent_bundle::FluentArgs;
use gasq_shared::{Phone, StationId};

use super::bookings::{self, BookingError};
use super::{App, accounts};
use crate::domain::{Actor, Station, keypad};
use crate::messages::i18n::FALLBACK;
use crate::messages::twiml;
use crate::store::StoreError;

/// The path Twilio is pointed at for calls.
pub const VOICE_PATH: &str = "/api/v1/ivr/voice";
/// Wrong keys before the call ends.
const TRIES: u8 = 3;

/// Where a call is, carried from step to step in the query.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct CallState {
    /// `lang`, `station`, `time`, `kg`, `confirm`; none: the call just started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// `en` or `hi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s: Option<u32>,
    /// `HHMM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<String>,
    /// Centi-kilograms; 0 = fill to full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    /// Wrong tries at this step.
    #[serde(default)]
    pub n: u8,
}

impl CallState {
    fn lang(&self) -> &str {
        self.l.as_deref().unwrap_or(FALLBACK)
    }

    /// The URL of the next step (relative: Twilio resolves it against this one).
    fn url(&self) -> String {
        let query = serde_urlencoded::to_string(self).unwrap_or_default();
        format!("{VOICE_PATH}?{query}")
    }

    fn at(&self, step: &str) -> Self {
        Self {
            step: Some(step.to_owned()),
            n: 0,
            ..self.clone()
        }
    }
}

fn say(app: &App, lang: &str, id: &str, args: &FluentArgs<'_>) -> String {
    let lang = if app.messenger.catalog.has(lang) {
        lang
    } else {
        FALLBACK
    };
    let text = app
        .messenger
        .catalog
        .render(lang, id, args)
        .map_or_else(|| id.to_owned(), |r| r.text);
    let voice = if lang == "hi" { "hi-IN" } else { "en-IN" };
    format!("<Say language=\"{voice}\">{}</Say>", twiml::esc(&text))
}

/// After a wrong (or no) key: `prompt` again, or — the third time — a polite goodbye.
fn again(app: &App, state: &CallState, prompt: &str, digits: Option<u8>) -> String {
    if state.n.saturating_add(1) >= TRIES {
        return twiml::response(&format!(
            "{}<Hangup/>",
            say(app, state.lang(), "ivr-goodbye", &FluentArgs::new())
        ));
    }
    let next = CallState {
        n: state.n.saturating_add(1),
        ..state.clone()
    };
    gather(&next, prompt, digits)
}

/// Asks for keys: `digits` of them, or up to `#` when `None`; silence re-asks.
fn gather(next: &CallState, prompt: &str, digits: Option<u8>) -> String {
    let keys = digits.map_or_else(
        || "finishOnKey=\"#\"".to_owned(),
        |d| format!("numDigits=\"{d}\""),
    );
    let silence = CallState {
        n: next.n,
        ..next.clone()
    };
    twiml::response(&format!(
        "<Gather input=\"dtmf\" action=\"{}\" method=\"POST\" timeout=\"8\" {keys}>{prompt}</Gather>\
         <Redirect method=\"POST\">{}</Redirect>",
        twiml::esc(&next.url()),
        twiml::esc(&silence.url())
    ))
}

/// Who is calling, and the call (Twilio's `From` and `CallSid`).
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub from: &'a str,
    pub sid: &'a str,
}

/// The TwiML for one step of `call`, given the keys pressed (`digits`).
pub async fn step(
    app: &App,
    call: &Call<'_>,
    state: CallState,
    digits: Option<&str>,
) -> Result<String, StoreError> {
    let none = FluentArgs::new();
    let digits = digits.map(str::trim).filter(|d| !d.is_empty());
    let lang = state.lang().to_owned();
    let choose_language = || {
        format!(
            "{}{}",
            say(app, "hi", "ivr-language", &FluentArgs::new()),
            say(app, "en", "ivr-language", &FluentArgs::new())
        )
    };
    let Some(at) = state.step.clone() else {
        // The call starts: the language.
        return Ok(gather(&state.at("lang"), &choose_language(), Some(1)));
    };
    // A wrong key, asking again with `ask` (`ivr-wrong` first).
    let wrong = |ask: &str, digits_n: Option<u8>| {
        let prompt = format!(
            "{}{}",
            say(app, &lang, "ivr-wrong", &FluentArgs::new()),
            say(app, &lang, ask, &FluentArgs::new())
        );
        again(app, &state, &prompt, digits_n)
    };
    match at.as_str() {
        "lang" => match digits {
            Some("1") | Some("2") => {
                let l = if digits == Some("1") { "hi" } else { "en" };
                let next = CallState {
                    l: Some(l.into()),
                    ..state.at("station")
                };
                Ok(gather(&next, &say(app, l, "ivr-station", &none), None))
            }
            _ => Ok(again(app, &state, &choose_language(), Some(1))),
        },
        "station" => {
            let station = match digits {
                Some(d) => station_keyed(app, d).await?,
                None => None,
            };
            match station {
                Some(s) => {
                    let next = CallState {
                        s: Some(s.id.get()),
                        ..state.at("time")
                    };
                    Ok(gather(&next, &say(app, &lang, "ivr-time", &none), Some(4)))
                }
                None => {
                    let prompt = format!(
                        "{}{}",
                        say(app, &lang, "ivr-no-station", &none),
                        say(app, &lang, "ivr-station", &none)
                    );
                    Ok(again(app, &state, &prompt, None))
                }
            }
        }
        "time" => match digits.and_then(|d| NaiveTime::parse_from_str(d, "%H%M").ok()) {
            Some(_) => {
                let next = CallState {
                    t: digits.map(str::to_owned),
                    ..state.at("kg")
                };
                Ok(gather(
                    &next,
                    &say(app, state.lang(), "ivr-kg", &none),
                    None,
                ))
            }
            None => Ok(wrong("ivr-time", Some(4))),
        },
        "kg" => match digits
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|k| *k <= 100)
        {
            Some(kg) => {
                let next = CallState {
                    k: Some(kg * 100),
                    ..state.at("confirm")
                };
                let prompt = confirm_prompt(app, &next).await?;
                Ok(gather(&next, &prompt, Some(1)))
            }
            None => Ok(wrong("ivr-kg", None)),
        },
        "confirm" => match digits {
            Some("1") => book(app, call, &state).await,
            Some("2") => {
                let next = CallState {
                    l: state.l.clone(),
                    ..CallState::default()
                }
                .at("station");
                Ok(gather(
                    &next,
                    &say(app, state.lang(), "ivr-station", &none),
                    None,
                ))
            }
            _ => {
                let prompt = format!(
                    "{}{}",
                    say(app, &lang, "ivr-wrong", &none),
                    confirm_prompt(app, &state).await?
                );
                Ok(again(app, &state, &prompt, Some(1)))
            }
        },
        // An unknown step (an old URL): start again.
        _ => Box::pin(step(app, call, CallState::default(), None)).await,
    }
}

async fn confirm_prompt(app: &App, state: &CallState) -> Result<String, StoreError> {
    let station = match state.s.and_then(|s| StationId::new(s).ok()) {
        Some(id) => app.store.station(id).await?,
        None => None,
    };
    let mut args = FluentArgs::new();
    args.set("station", station.map(|s| s.name).unwrap_or_default());
    let t = state.t.clone().unwrap_or_default();
    args.set(
        "time",
        format!(
            "{}:{}",
            t.get(..2).unwrap_or("00"),
            t.get(2..).unwrap_or("00")
        ),
    );
    let kg = state.k.unwrap_or(0);
    let amount = if kg == 0 {
        say_text(app, state.lang(), "ivr-fill", &FluentArgs::new())
    } else {
        let mut a = FluentArgs::new();
        a.set("kg", (kg / 100).to_string());
        say_text(app, state.lang(), "ivr-kilos", &a)
    };
    args.set("kg", amount);
    Ok(say(app, state.lang(), "ivr-confirm", &args))
}

fn say_text(app: &App, lang: &str, id: &str, args: &FluentArgs<'_>) -> String {
    let lang = if app.messenger.catalog.has(lang) {
        lang
    } else {
        FALLBACK
    };
    app.messenger
        .catalog
        .render(lang, id, args)
        .map_or_else(|| id.to_owned(), |r| r.text)
}

/// The station whose code the caller typed on the keypad (`MUM-0042` is 6860042,
/// `domain/keypad.rs`); else, for callers told the station's number, the station with
/// that id.
async fn station_keyed(app: &App, typed: &str) -> Result<Option<Station>, StoreError> {
    let stations = app.store.stations().await?;
    let mut keyed = stations
        .iter()
        .filter(|s| keypad::digits(s.code.as_str()) == typed);
    if let (Some(one), None) = (keyed.next(), keyed.next()) {
        return Ok(Some(one.clone()));
    }
    let id = typed
        .parse::<u32>()
        .ok()
        .and_then(|n| StationId::new(n).ok());
    Ok(id.and_then(|id| stations.into_iter().find(|s| s.id == id)))
}

async fn book(app: &App, call: &Call<'_>, state: &CallState) -> Result<String, StoreError> {
    let lang = state.lang().to_owned();
    let ended = |text: String| twiml::response(&format!("{text}<Hangup/>"));
    let Ok(phone) = Phone::parse(call.from) else {
        let mut a = FluentArgs::new();
        a.set(
            "reason",
            say(
                app,
                &lang,
                "refusal",
                &super::sms::refusal::plain("no-caller"),
            ),
        );
        return Ok(ended(say(app, &lang, "ivr-refused", &a)));
    };
    let user = accounts::phone_driver(app, &phone)
        .await
        .map_err(|e| StoreError::Corrupt(format!("phone account: {e}")))?;
    // One booking per call and order: a replayed confirmation (or a double tap) books
    // nothing more, while a caller told "that time is full" may still confirm another
    // time (the order is in the signed query, so only Twilio's requests carry it).
    let key = app.crypto.lookup_hash(phone.as_str());
    let order = format!(
        "call:{}:{}:{}",
        call.sid,
        state.s.unwrap_or(0),
        state.t.as_deref().unwrap_or("")
    );
    if !app
        .store
        .record_inbound_sms(&order, &key, chrono::Utc::now())
        .await?
    {
        return Ok(ended(say(app, &lang, "ivr-already", &FluentArgs::new())));
    }
    // The language chosen is the driver's from now on (the SMS with the code too).
    if user.language != lang {
        let entry = crate::domain::AuditEntry {
            actor_id: Some(user.id),
            action: "user.preferences".into(),
            target: format!("user:{}", user.id),
            detail: serde_json::json!({ "language": lang, "by": "call" }),
            ..crate::domain::AuditEntry::default()
        };
        app.store
            .set_preferences(user.id, Some(&lang), None, entry)
            .await?;
    }
    let driver = Actor {
        id: user.id,
        role: user.role,
        ip: None,
    };
    let (Some(station_id), Some(time)) = (
        state.s.and_then(|s| StationId::new(s).ok()),
        state
            .t
            .as_deref()
            .and_then(|t| NaiveTime::parse_from_str(t, "%H%M").ok()),
    ) else {
        return Box::pin(step(app, call, CallState::default(), None)).await;
    };
    let Some(station) = app.store.station(station_id).await? else {
        return Ok(ended(say(app, &lang, "ivr-no-station", &FluentArgs::new())));
    };
    let Some(slot) = super::sms::slot_at(&station, time) else {
        return Ok(ended(say(app, &lang, "ivr-bad-time", &FluentArgs::new())));
    };
    let kg = state.k.filter(|k| *k > 0).map(|k| f64::from(k) / 100.0);
    match bookings::book_by_phone(app, &driver, station_id, slot, kg).await {
        Ok(booked) => {
            let spelled: Vec<String> = booked.booking.code.chars().map(String::from).collect();
            let mut a = FluentArgs::new();
            a.set("code", spelled.join(" "));
            Ok(ended(say(app, &lang, "ivr-booked", &a)))
        }
        Err(BookingError::SlotFull { .. }) => {
            let free = super::sms::calmer(app, &station, slot).await?;
            let mut a = FluentArgs::new();
            a.set("first", free.first().cloned().unwrap_or_default());
            let next = CallState {
                n: 0,
                ..state.at("time")
            };
            Ok(gather(&next, &say(app, &lang, "ivr-full", &a), Some(4)))
        }
        Err(BookingError::Store(e)) => Err(e),
        Err(other) => {
            let mut a = FluentArgs::new();
            let why = super::sms::refusal::of_error(&other, &station);
            a.set("reason", say(app, &lang, "refusal", &why));
            Ok(ended(say(app, &lang, "ivr-refused", &a)))
        }
    }
}
