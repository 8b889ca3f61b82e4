//! Logging in with e-mail or phone and password, with guessing slowed rather than
//! accounts locked ("Login guessing", docs/architecture.md).
//!
//! Every attempt is checked against throttle counters (`domain/throttle.rs`) before the
//! password is:
//! - from a browser or app without a device cookie for the account: the account's
//!   counter — by account, so guesses by e-mail and by phone count together (a login
//!   that names no account has a counter of its own, so unknown names behave alike) —
//!   and the client address's counter, over all accounts;
//! - with a valid device cookie for the account (it signed in before): only that
//!   device's counter. An attack on the account from elsewhere never slows its owner's
//!   devices; a stolen cookie used for guessing slows only itself.
//!
//! A success clears the account's (or device's) counter, and takes itself back out of
//! the address's — never clears that one, or one account of the attacker's own would
//! reset it — and hands out a fresh device cookie.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use gasq_shared::Phone;

use super::App;
use super::accounts::{AccountError, Tokens};
use crate::auth::{device_cookie, password, refresh};
use crate::domain::throttle::{Attempt, ThrottleRule};
use crate::domain::{AuditEntry, UserRecord};
use crate::secret::Secret;

type Result<T> = std::result::Result<T, AccountError>;

/// A login attempt as it arrived.
#[derive(Debug)]
pub struct LoginAttempt {
    /// E-mail address or phone number.
    pub login: String,
    pub password: Secret,
    pub ip: Option<IpAddr>,
    /// The device cookie the browser or app holds, if any.
    pub device_token: Option<Secret>,
}

/// The keyed hash a login name is looked up by.
fn lookup_key(app: &App, login: &str) -> Vec<u8> {
    let login = login.trim();
    if login.contains('@') {
        app.crypto.lookup_hash(&login.to_lowercase())
    } else if let Ok(phone) = Phone::parse(login) {
        app.crypto.lookup_hash(phone.as_str())
    } else {
        app.crypto.lookup_hash(login)
    }
}

/// A throttle counter's key: a keyed hash, so the table holds no address or name.
fn counter(app: &App, kind: &str, what: &str) -> Vec<u8> {
    app.crypto
        .lookup_hash(&format!("login-throttle:{kind}:{what}"))
}

fn rule(app: &App, free: u32) -> ThrottleRule {
    let limits = &app.settings.rate_limits;
    ThrottleRule {
        free,
        first_delay: Duration::seconds(limits.login_delay_secs),
        window: Duration::minutes(limits.login_failure_window_minutes),
    }
}

/// Logs in with e-mail or phone and password.
pub async fn login(app: &App, attempt: LoginAttempt) -> Result<Tokens> {
    let now = Utc::now();
    let key = lookup_key(app, &attempt.login);
    let user = app.store.user_by_lookup(&key).await?;
    let counters = throttle(app, &attempt, &key, user.as_ref(), now).await?;
    let ok = password::verify(
        attempt.password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = user.filter(|_| ok) else {
        return Err(AccountError::WrongCredentials);
    };
    app.store.clear_login_attempts(&counters.own).await?;
    if let Some(ip) = &counters.ip {
        let rule = rule(app, app.settings.rate_limits.login_failures_per_ip);
        app.store.forgive_login_attempt(ip, now, &rule).await?;
    }
    let session = uuid::Uuid::now_v7();
    let entry = AuditEntry {
        actor_id: Some(user.id),
        actor_role: Some(user.role),
        action: "auth.login".into(),
        target: format!("user:{}", user.id),
        ip: attempt.ip.map(|i| i.to_string()),
        detail: serde_json::json!({ "session": session }),
    };
    let (token, hash) = refresh::generate();
    let refresh = super::sessions::refresh_token(app, hash, session, user.id);
    app.store.insert_refresh_token(refresh, entry).await?;
    let mut tokens = super::sessions::tokens(app, user.id, user.role, token)?;
    tokens.device_token = Some(device_cookie::issue(&app.crypto, user.id, now));
    Ok(tokens)
}

/// The counters an attempt went through.
struct Counters {
    /// The account's or the device's: a success clears it.
    own: Vec<u8>,
    /// The client address's: a success is taken back out of it.
    ip: Option<Vec<u8>>,
}

/// Takes the attempt through its counters (see the module's comment).
async fn throttle(
    app: &App,
    attempt: &LoginAttempt,
    lookup: &[u8],
    user: Option<&UserRecord>,
    now: DateTime<Utc>,
) -> Result<Counters> {
    let per_account = app.settings.rate_limits.login_failures_per_account;
    let ttl = Duration::days(app.settings.auth.device_cookie_ttl_days);
    let trusted = attempt
        .device_token
        .as_ref()
        .and_then(|t| device_cookie::verify(&app.crypto, t.expose(), now, ttl))
        .filter(|c| user.is_some_and(|u| u.id == c.user));
    if let Some(cookie) = trusted {
        let key = counter(app, "device", &hex::encode(cookie.nonce));
        go(app, &key, now, rule(app, per_account)).await?;
        return Ok(Counters { own: key, ip: None });
    }
    let ip = attempt.ip.map(|ip| counter(app, "ip", &ip.to_string()));
    if let Some(key) = &ip {
        let per_ip = app.settings.rate_limits.login_failures_per_ip;
        go(app, key, now, rule(app, per_ip)).await?;
    }
    let account = match user {
        Some(u) => counter(app, "account", &u.id.to_string()),
        None => counter(app, "name", &hex::encode(lookup)),
    };
    go(app, &account, now, rule(app, per_account)).await?;
    Ok(Counters { own: account, ip })
}

async fn go(app: &App, key: &[u8], now: DateTime<Utc>, rule: ThrottleRule) -> Result<()> {
    match app.store.login_attempt(key, now, &rule).await? {
        Attempt::Go(_) => Ok(()),
        Attempt::Wait { retry_after_secs } => {
            Err(AccountError::TooManyFailures { retry_after_secs })
        }
    }
}
