//! Sending what the outbox holds (invariant 5): the notifications pass claims due
//! notifications (`SKIP LOCKED`, a lease), renders each in its driver's language from
//! the booking as it is now, and sends it by the driver's channel — SMS to the phone,
//! else e-mail — retrying with backoff and dead-lettering after
//! `notifications.max_attempts`.

use chrono::{Duration, Utc};
use fluent_bundle::FluentArgs;

use super::App;
use super::{reminders, waitlist};
use crate::domain::{BookingStatus, UserRecord};
use crate::messages::i18n::FALLBACK;
use crate::messages::sms::SendError;
use crate::store::{Claimed, StoreError};

/// Notifications claimed per pass, and how long a claim lasts. A send can take two
/// provider timeouts (the already-sent look-up, then the send); no send starts in the
/// last [`SAFETY_SECS`] of a claim, so a claim never lapses — and is taken by another
/// replica — while its message may still be going out (invariant 5).
pub const BATCH: i64 = 10;
const LEASE_SECS: i64 = 120;
const SAFETY_SECS: u64 = 45;
/// Station names are cut to this many characters in messages (two SMS segments).
const STATION_CHARS: usize = 24;

/// Sends what is due; returns how many were handled.
pub async fn send_pass(app: &App) -> Result<usize, StoreError> {
    send_due(app, Utc::now()).await
}

/// Sends what is due by `now` (the tests look ahead in time with it).
pub async fn send_due(app: &App, now: chrono::DateTime<Utc>) -> Result<usize, StoreError> {
    let claimed = app
        .store
        .claim_notifications(now, Duration::seconds(LEASE_SECS), BATCH)
        .await?;
    let n = claimed.len();
    let started = std::time::Instant::now();
    let lease = std::time::Duration::from_secs(LEASE_SECS.unsigned_abs() - SAFETY_SECS);
    for c in claimed {
        if started.elapsed() >= lease {
            // The rest wait for their claim to lapse and go out from the next pass.
            tracing::warn!(intent = %c.intent, "the provider is slow: message left for the next pass");
            continue;
        }
        send_one(app, &c, now).await?;
    }
    Ok(n)
}

/// What to send, or why not.
enum Prepared {
    Send {
        user: UserRecord,
        args: FluentArgs<'static>,
    },
    /// Nothing to say any more (a reminder for a booking cancelled since).
    Skip(String),
}

async fn send_one(app: &App, n: &Claimed, now: chrono::DateTime<Utc>) -> Result<(), StoreError> {
    let (user, args) = match prepare(app, n).await? {
        Prepared::Send { user, args } => (user, args),
        Prepared::Skip(why) => {
            return app.store.notification_sent(n.id, "none", &why, now).await;
        }
    };
    let lang = if app.messenger.catalog.has(&user.language) {
        user.language.as_str()
    } else {
        FALLBACK
    };
    let phone = user
        .phone_enc
        .as_deref()
        .and_then(|p| app.crypto.decrypt_pii(p).ok());
    let by_sms = user.notify_by == "sms" && phone.is_some();
    // The message may say "reply YES" only where a reply can reach us.
    let mut args = args;
    args.set("channel", if by_sms { "sms" } else { "email" });
    let Some(rendered) = app.messenger.catalog.render(lang, &n.message, &args) else {
        let why = format!("no message {} in the catalogue", n.message);
        return app.store.notification_failed(n.id, &why, None).await;
    };
    let sent = match (user.notify_by.as_str(), phone) {
        ("none", _) => Ok(("none", "the driver asked for no messages".to_owned())),
        ("sms", Some(phone)) => app
            .messenger
            .sms
            .send(&phone, &rendered.text, n.retry_since)
            .await
            .map(|r| ("sms", r)),
        _ => match app.crypto.decrypt_pii(&user.email_enc) {
            Ok(email) => app
                .messenger
                .email
                .send(&email, &rendered.subject, &rendered.text)
                .await
                .map(|r| ("email", r)),
            Err(_) => Err(SendError::Permanent(
                "the driver's address does not decrypt".into(),
            )),
        },
    };
    match sent {
        Ok((channel, reference)) => {
            app.store
                .notification_sent(n.id, channel, &reference, now)
                .await
        }
        Err(SendError::Retry(e)) if n.attempts < app.settings.notifications.max_attempts => {
            let at = now + backoff(n.attempts);
            tracing::warn!(intent = %n.intent, error = %e, retry_at = %at, "notification not sent; retrying");
            app.store.notification_failed(n.id, &e, Some(at)).await
        }
        Err(SendError::Retry(e) | SendError::Permanent(e)) => {
            tracing::error!(intent = %n.intent, error = %e, "notification dead-lettered");
            app.store.notification_failed(n.id, &e, None).await
        }
    }
}

/// 15 s, 30 s, 1 min, … up to 30 minutes.
fn backoff(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 8) - 1;
    Duration::seconds((15_i64 << doublings).min(1800))
}

/// The driver and the message's arguments, from the booking as it is now.
async fn prepare(app: &App, n: &Claimed) -> Result<Prepared, StoreError> {
    let Some(user) = app.store.user(n.user).await? else {
        return Ok(Prepared::Skip("the account is gone".into()));
    };
    let mut args = FluentArgs::new();
    if let Some(id) = n.booking {
        let Some(b) = app.store.booking(id).await? else {
            return Ok(Prepared::Skip("the booking is gone".into()));
        };
        if n.message == "reminder" && b.status != BookingStatus::Confirmed {
            return Ok(Prepared::Skip(format!(
                "the booking is {}",
                b.status.as_str()
            )));
        }
        if n.message == "reminder" && b.slot_start <= Utc::now() {
            return Ok(Prepared::Skip("the slot has started".into()));
        }
        if let Some(station) = app.store.station(b.station_id).await? {
            let local = b.slot_start.with_timezone(&station.policy.timezone);
            args.set(
                "station",
                station.name.chars().take(STATION_CHARS).collect::<String>(),
            );
            args.set("when", local.format("%a %d %b %H:%M").to_string());
            args.set("time", local.format("%H:%M").to_string());
            let until = b.valid_until.with_timezone(&station.policy.timezone);
            args.set("until", until.format("%H:%M").to_string());
        }
        args.set("code", b.code.clone());
        if n.message == "reminder" {
            args.set("link", reminders::reply_link(app, b.id));
        }
    }
    // An offer's link takes the place: `slot-offered:<waitlist entry>`.
    if n.message == "slot-offered"
        && let Some(entry) = n
            .intent
            .strip_prefix("slot-offered:")
            .and_then(|id| id.parse().ok())
    {
        args.set("link", waitlist::offer_link(app, entry));
    }
    if let Some(extra) = n.args.as_object() {
        for (k, v) in extra {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            args.set(k.clone(), text);
        }
    }
    Ok(Prepared::Send { user, args })
}
