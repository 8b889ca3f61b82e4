//! Accounts: registering drivers, creating staff (CLI, demo), and the user's own
//! profile. Logging in is `login.rs`; refreshing and ending sessions `sessions.rs`.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use gasq_shared::{Phone, StationId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, Invalid};
use crate::auth::password;
use crate::domain::{Actor, AuditEntry, Role, UserRecord};
use crate::secret::Secret;
use crate::store::{NewUser, StoreError};

/// Why an account or session use case failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    Exists(String),
    /// Past a throttle limit (the account's, the address's or the device's): wait.
    #[error("too many failed logins: wait {retry_after_secs} s")]
    TooManyFailures { retry_after_secs: u64 },
    #[error("wrong login or password")]
    WrongCredentials,
    #[error("the refresh token was already used")]
    RefreshReused,
    #[error("the refresh token is unknown, expired or revoked")]
    RefreshInvalid,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

type Result<T> = std::result::Result<T, AccountError>;

/// A driver signing up.
#[derive(Debug)]
pub struct Registration {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub password: Secret,
}

/// An account of any role, from the CLI or the demo.
#[derive(Debug)]
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub password: Secret,
    pub role: Role,
    /// Stations a station admin or technician works at.
    pub stations: Vec<StationId>,
}

/// A fresh pair of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// After a login: this device's cookie (also set as the `gasq_device` cookie). An
    /// app sends it back as `device_token` with its next login, so that guesses at its
    /// account from elsewhere never slow it down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

/// The logged-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub role: Role,
    /// Stations this user manages (station admins and technicians).
    pub stations: Vec<StationId>,
    /// The language messages go out in (`en`, `hi`, …).
    pub language: String,
    /// How messages reach this user: `sms` (to the phone; e-mail without one), `email`
    /// or `none`.
    pub notify_by: String,
    pub created_at: DateTime<Utc>,
}

/// What a user may change about how GasQ talks to them.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// One of the languages messages exist in (`en`, `hi`).
    pub language: Option<String>,
    /// `sms`, `email` or `none`.
    pub notify_by: Option<String>,
}

/// Changes the actor's message preferences; their profile after.
pub async fn set_preferences(app: &App, actor: &Actor, p: Preferences) -> Result<Profile> {
    if let Some(lang) = &p.language
        && !app.messenger.catalog.has(lang)
    {
        let known = app.messenger.catalog.languages().join(", ");
        return Err(Invalid::new("language", format!("one of: {known}")).into());
    }
    if let Some(by) = &p.notify_by
        && !matches!(by.as_str(), "sms" | "email" | "none")
    {
        return Err(Invalid::new("notify_by", "sms, email or none").into());
    }
    let entry = actor.audit(
        "user.preferences",
        format!("user:{}", actor.id),
        serde_json::json!({ "language": p.language, "notify_by": p.notify_by }),
    );
    app.store
        .set_preferences(
            actor.id,
            p.language.as_deref(),
            p.notify_by.as_deref(),
            entry,
        )
        .await?;
    profile(app, actor).await
}

/// Lower-cases and checks an e-mail address (enough to catch typos, not RFC 5322).
pub fn normalize_email(raw: &str) -> std::result::Result<String, Invalid> {
    let email = raw.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if ok {
        Ok(email)
    } else {
        Err(Invalid::new(
            "email",
            "not an e-mail address (like name@example.com)",
        ))
    }
}

fn check_name(raw: &str) -> std::result::Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Invalid::new("name", "give a name of 1 to 100 characters"));
    }
    Ok(name.to_owned())
}

fn parse_phone(raw: &str) -> std::result::Result<Phone, Invalid> {
    Phone::parse(raw).map_err(|e| Invalid::new("phone", e.to_string()))
}

/// Creates a driver account.
pub async fn register(app: &App, r: Registration, ip: Option<IpAddr>) -> Result<UserId> {
    let name = check_name(&r.name)?;
    let email = normalize_email(&r.email)?;
    let phone = parse_phone(&r.phone)?;
    password::check_policy(r.password.expose()).map_err(|m| Invalid::new("password", m))?;
    insert_user(
        app,
        name,
        &email,
        Some(&phone),
        r.password,
        Role::Driver,
        ip,
    )
    .await
}

/// The driver account of a phone number, made on first contact by SMS or call: no
/// e-mail (its look-up key is the number's, so it never matches an address) and no
/// password anyone knows — it is used by phone only.
pub async fn phone_driver(app: &App, phone: &Phone) -> Result<UserRecord> {
    if let Some(user) = app
        .store
        .user_by_lookup(&app.crypto.lookup_hash(phone.as_str()))
        .await?
    {
        return Ok(user);
    }
    let unguessable: String = {
        use rand::Rng;
        rand::thread_rng()
            .sample_iter(&rand::distributions::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect()
    };
    let c = &app.crypto;
    let id = UserId::new();
    let user = NewUser {
        id,
        name: format!("Driver {}", phone.masked()),
        email_enc: c.encrypt_pii(""),
        email_hash: c.lookup_hash(&format!("phone-only:{}", phone.as_str())),
        phone_enc: Some(c.encrypt_pii(phone.as_str())),
        phone_hash: Some(c.lookup_hash(phone.as_str())),
        password_hash: password::hash(Secret::new(unguessable)).await?,
        role: Role::Driver,
        created_at: Utc::now(),
    };
    let entry = AuditEntry {
        actor_id: Some(id),
        actor_role: Some(Role::Driver),
        action: "user.create".into(),
        target: format!("user:{id}"),
        detail: serde_json::json!({ "role": Role::Driver, "by": "phone" }),
        ..AuditEntry::default()
    };
    match app.store.create_user(user, entry).await {
        // Two messages of a new number at once: the other made it.
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    app.store
        .user_by_lookup(&app.crypto.lookup_hash(phone.as_str()))
        .await?
        .ok_or(AccountError::NotFound("user"))
}

/// Creates an account of any role and assigns its stations (the first super admin,
/// staff, demo accounts). Audited as done by the system.
pub async fn create_account(app: &App, a: NewAccount) -> Result<UserId> {
    let name = check_name(&a.name)?;
    let email = normalize_email(&a.email)?;
    let phone = a.phone.as_deref().map(parse_phone).transpose()?;
    password::check_policy(a.password.expose()).map_err(|m| Invalid::new("password", m))?;
    if !a.stations.is_empty() && !matches!(a.role, Role::StationAdmin | Role::Technician) {
        return Err(Invalid::new(
            "stations",
            "only station admins and technicians are assigned to stations",
        )
        .into());
    }
    for station in &a.stations {
        if app.store.station(*station).await?.is_none() {
            return Err(AccountError::NotFound("station"));
        }
    }
    let id = insert_user(app, name, &email, phone.as_ref(), a.password, a.role, None).await?;
    for station in a.stations {
        let entry = AuditEntry {
            action: "station.assign_staff".into(),
            target: format!("station:{station}"),
            detail: serde_json::json!({ "user_id": id }),
            ..AuditEntry::default()
        };
        app.store.assign_station(id, station, entry).await?;
    }
    Ok(id)
}

async fn insert_user(
    app: &App,
    name: String,
    email: &str,
    phone: Option<&Phone>,
    password: Secret,
    role: Role,
    ip: Option<IpAddr>,
) -> Result<UserId> {
    let hash = password::hash(password).await?;
    let c = &app.crypto;
    let id = UserId::new();
    let user = NewUser {
        id,
        name,
        email_enc: c.encrypt_pii(email),
        email_hash: c.lookup_hash(email),
        phone_enc: phone.map(|p| c.encrypt_pii(p.as_str())),
        phone_hash: phone.map(|p| c.lookup_hash(p.as_str())),
        password_hash: hash,
        role,
        created_at: Utc::now(),
    };
    let entry = AuditEntry {
        actor_id: Some(id),
        actor_role: Some(role),
        action: "user.create".into(),
        target: format!("user:{id}"),
        ip: ip.map(|i| i.to_string()),
        detail: serde_json::json!({ "role": role }),
    };
    app.store
        .create_user(user, entry)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => AccountError::Exists(m),
            other => other.into(),
        })?;
    Ok(id)
}

/// The actor's own account, personal data decrypted.
pub async fn profile(app: &App, actor: &Actor) -> Result<Profile> {
    let record = app
        .store
        .user(actor.id)
        .await?
        .ok_or(AccountError::NotFound("user"))?;
    let c = &app.crypto;
    Ok(Profile {
        id: record.id,
        name: record.name,
        email: c
            .decrypt_pii(&record.email_enc)
            .map_err(anyhow::Error::from)?,
        phone: record
            .phone_enc
            .map(|p| c.decrypt_pii(&p))
            .transpose()
            .map_err(anyhow::Error::from)?,
        role: record.role,
        stations: app.store.user_stations(actor.id).await?,
        language: record.language,
        notify_by: record.notify_by,
        created_at: record.created_at,
    })
}

/// The account with this e-mail address, if there is one (the demo reuses its own).
pub async fn find_by_email(app: &App, email: &str) -> Result<Option<UserId>> {
    let email = normalize_email(email)?;
    let user = app
        .store
        .user_by_lookup(&app.crypto.lookup_hash(&email))
        .await?;
    Ok(user.map(|u| u.id))
}
