//! Settings for `gasq-cloud`: built-in defaults → TOML file → `GASQ_*` environment →
//! command-line flags, each layer overriding the one before. Every key has a TOML name
//! and a `GASQ_*` variable; only the three settings one changes per run have flags:
//! `--config`, `--database-url` and `serve --listen` (the README's table lists all).
//!
//! `gasq-cloud default-config` prints [`Settings::default`] as TOML.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

mod derived;
mod integrations;
mod validate;
pub use integrations::{MapsSettings, RazorpaySettings, TwilioSettings, WeatherSettings};

/// Everything the cloud can be configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// `postgres://…` or `sqlite://…`. Default: an SQLite file under `data_dir`.
    pub database_url: Option<String>,
    /// Where the embedded default keeps its SQLite file and generated master key.
    pub data_dir: PathBuf,
    /// Base64 of 32 random bytes. Encrypts signing keys and personal data at rest.
    /// Unset: generated once into `data_dir/master.key` (with a warning).
    pub master_key: Option<Secret>,
    /// The URL the outside world reaches this cloud at (Twilio signatures, links).
    pub public_url: Option<String>,
    /// Pool size per replica.
    pub database_max_connections: u32,
    pub auth: AuthSettings,
    pub bookings: BookingSettings,
    pub rate_limits: RateLimits,
    pub edge: EdgeSettings,
    pub metrics: MetricsSettings,
    pub razorpay: RazorpaySettings,
    pub payments: PaymentSettings,
    pub twilio: TwilioSettings,
    /// `smtp://user:pass@host:587?tls=required` (lettre's URL form). Unset: e-mail goes
    /// to the console.
    pub smtp_url: Option<Secret>,
    pub notifications: NotificationSettings,
    pub forecast: ForecastSettings,
    pub weather: WeatherSettings,
    pub maps: MapsSettings,
}

/// The demand forecast.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForecastSettings {
    /// An ONNX model to use instead of the built-in `models/demand.onnx` (same input
    /// and output; see `models/README.md`). A file that does not load stops startup.
    pub model_path: Option<PathBuf>,
    /// Public holidays (`YYYY-MM-DD`) besides the national ones GasQ knows (Republic
    /// Day, Independence Day, Gandhi Jayanti): festivals whose dates move each year.
    pub holidays: Vec<chrono::NaiveDate>,
}

/// The notifications worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// How often the worker sends what is due, seconds.
    pub worker_interval_secs: u64,
    /// Attempts before a message is dead-lettered (shown to admins).
    pub max_attempts: i32,
    /// The sender of e-mail.
    pub email_from: String,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            worker_interval_secs: 2,
            max_attempts: 8,
            email_from: "GasQ <no-reply@gasq.local>".into(),
        }
    }
}

/// The payments pass: refunds, captures, reconciliation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentSettings {
    /// How often the payments pass runs (refunds due, late captures), seconds.
    pub worker_interval_secs: u64,
    /// How often reconciliation asks the gateway about open orders and the day's
    /// payments, minutes.
    pub reconcile_every_minutes: i64,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            worker_interval_secs: 5,
            reconcile_every_minutes: 60,
        }
    }
}

/// `GET /metrics`, the Prometheus scrape.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// The scrape token: Prometheus sends `Authorization: Bearer <token>`
    /// (`authorization: { credentials: … }` in its scrape config). Unset, `/metrics` is
    /// refused to everyone: booking counts and traffic are not for the public, and a
    /// loopback exception would open it to any reverse proxy on the same host.
    pub token: Option<Secret>,
}

/// Edge boxes: enrollment and sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdgeSettings {
    /// How long a one-time enrollment code works.
    pub enrollment_code_ttl_hours: i64,
    /// Wrong tries before an enrollment code stops working.
    pub enrollment_attempts_per_code: u32,
    /// Changes per pull page.
    pub change_page_size: i64,
    /// An edge not heard from for this long is shown as offline.
    pub offline_after_secs: i64,
    /// How long the station change log waits for a device: a box that has not pulled
    /// for this long no longer holds the log back, and changes older than this are
    /// pruned whoever has not pulled them (such a box gets a full resync).
    pub change_log_retention_hours: i64,
}

impl Default for EdgeSettings {
    fn default() -> Self {
        Self {
            enrollment_code_ttl_hours: 24,
            enrollment_attempts_per_code: 10,
            change_page_size: 500,
            offline_after_secs: 120,
            change_log_retention_hours: 168,
        }
    }
}

/// Logins and tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Lifetime of an access token (JWT), seconds. At most 900.
    pub access_token_ttl_secs: i64,
    /// Lifetime of a refresh token, days. Each use rotates it.
    pub refresh_token_ttl_days: i64,
    /// How long a used refresh token still works, seconds: requests of one browser
    /// that refresh at the same moment all present it. Later, a used token ends the
    /// session everywhere (it was probably stolen). At most 60.
    pub refresh_reuse_grace_secs: i64,
    /// Lifetime of a device cookie, days: how long a browser or app that signed in
    /// keeps logging in past an attack on its account (each login renews it).
    pub device_cookie_ttl_days: i64,
}

/// Booking rules that are not per station.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookingSettings {
    /// How long an online booking holds its slot while the driver pays.
    pub payment_hold_minutes: i64,
    /// How many days ahead drivers may book.
    pub horizon_days: i64,
    /// How often the holds worker looks for lapsed holds and no-shows, seconds.
    pub worker_interval_secs: u64,
    /// Live bookings (confirmed or held for payment) a driver may hold at once.
    pub max_live_per_driver: u32,
    /// Bookings a driver may make per hour, whatever became of them (stops
    /// book-and-cancel loops).
    pub max_per_driver_per_hour: u32,
}

/// Rate limits: enough to stop guessing, never in the way of a busy station.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// Failed logins per account (e-mail and phone alike) let through before further
    /// attempts are slowed; never locked out. Also per device cookie.
    pub login_failures_per_account: u32,
    /// Failed logins per client address, over all accounts, before its attempts are
    /// slowed.
    pub login_failures_per_ip: u32,
    /// The first wait past a limit, seconds; it doubles with each further failure.
    pub login_delay_secs: i64,
    /// The longest wait, and how long a counter stays quiet before it is forgotten.
    pub login_failure_window_minutes: i64,
    /// Requests to `/api/v1/auth/*` per client IP per minute.
    pub auth_requests_per_ip_per_minute: u32,
    /// Take the client IP from `X-Forwarded-For` (only behind a trusted load balancer).
    pub trust_forwarded_for: bool,
    /// Inbound SMS per phone per hour before they go unanswered.
    pub sms_per_phone_per_hour: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            data_dir: PathBuf::from("data"),
            master_key: None,
            public_url: None,
            database_max_connections: 16,
            auth: AuthSettings::default(),
            bookings: BookingSettings::default(),
            rate_limits: RateLimits::default(),
            edge: EdgeSettings::default(),
            metrics: MetricsSettings::default(),
            razorpay: RazorpaySettings::default(),
            payments: PaymentSettings::default(),
            twilio: TwilioSettings::default(),
            smtp_url: None,
            notifications: NotificationSettings::default(),
            forecast: ForecastSettings::default(),
            weather: WeatherSettings::default(),
            maps: MapsSettings::default(),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 900,
            refresh_token_ttl_days: 30,
            refresh_reuse_grace_secs: 20,
            device_cookie_ttl_days: 365,
        }
    }
}

impl Default for BookingSettings {
    fn default() -> Self {
        Self {
            payment_hold_minutes: 10,
            horizon_days: 7,
            worker_interval_secs: 5,
            max_live_per_driver: 4,
            max_per_driver_per_hour: 20,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_failures_per_account: 10,
            login_failures_per_ip: 100,
            login_delay_secs: 30,
            login_failure_window_minutes: 15,
            auth_requests_per_ip_per_minute: 300,
            trust_forwarded_for: false,
            sms_per_phone_per_hour: 30,
        }
    }
}

/// Why settings could not be loaded; the message names the offending key.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads defaults, then `file` (if given), then `GASQ_*` variables. Nested keys use
    /// a double underscore: `GASQ_AUTH__ACCESS_TOKEN_TTL_SECS=600`.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        // Only this program's keys: GASQ_* also names other programs' settings (the
        // edge's, the integrations'), which must not trip `deny_unknown_fields`.
        let known = Self::top_level_keys();
        figment = figment.merge(Env::prefixed("GASQ_").split("__").filter(move |key| {
            // IMPORTANT: the key arrives as written in the environment (upper case, and
            // nested keys still joined by `__`), so compare the first part, uncased.
            let top = key.as_str().split(['.']).next().unwrap_or_default();
            let top = top.split("__").next().unwrap_or_default();
            known.iter().any(|k| k.eq_ignore_ascii_case(top))
        }));
        figment = integrations::merge_env(figment);
        let mut settings: Settings = figment.extract().map_err(|e| ConfigError(e.to_string()))?;
        // Set but empty means unset, as for the metrics token.
        let r = &mut settings.razorpay;
        r.key_id = r.key_id.take().filter(|k| !k.trim().is_empty());
        r.key_secret = r
            .key_secret
            .take()
            .filter(|k| !k.expose().trim().is_empty());
        r.webhook_secret = r
            .webhook_secret
            .take()
            .filter(|k| !k.expose().trim().is_empty());
        let t = &mut settings.twilio;
        t.account_sid = t.account_sid.take().filter(|k| !k.trim().is_empty());
        t.auth_token = t
            .auth_token
            .take()
            .filter(|k| !k.expose().trim().is_empty());
        t.from = t.from.take().filter(|k| !k.trim().is_empty());
        for key in [&mut settings.weather.api_key, &mut settings.maps.api_key] {
            *key = key.take().filter(|k| !k.expose().trim().is_empty());
        }
        settings.smtp_url = settings
            .smtp_url
            .take()
            .filter(|u| !u.expose().trim().is_empty());
        // `GASQ_METRICS__TOKEN=` (set but empty) means no token, as if it were unset.
        if settings
            .metrics
            .token
            .as_ref()
            .is_some_and(|t| t.expose().trim().is_empty())
        {
            settings.metrics.token = None;
        }
        settings.validate()?;
        Ok(settings)
    }

    fn top_level_keys() -> Vec<String> {
        match serde_json::to_value(Settings::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The defaults as a commented TOML file.
    pub fn default_toml() -> String {
        let body = toml::to_string_pretty(&Settings::default()).unwrap_or_default();
        format!(
            "# gasq-cloud configuration. Every key can also be set as GASQ_<KEY> in the\n\
             # environment (nested: GASQ_AUTH__ACCESS_TOKEN_TTL_SECS); database_url and\n\
             # listen also by a flag (--database-url, serve --listen).\n\
             # database_url = \"postgres://user@host/gasq\"   # default: SQLite under data_dir\n\
             # master_key = \"<base64 of 32 random bytes>\"    # default: generated in data_dir\n\
             # public_url = \"https://gasq.example.com\"\n\n{body}\
             # token = \"<16+ random characters>\"  # Prometheus scrapes /metrics with it as\n\
             #                                    # Bearer token; unset, /metrics is refused\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_database_is_sqlite_under_the_data_dir() {
        let s = Settings::default();
        assert_eq!(s.effective_database_url(), "sqlite://data/gasq.sqlite");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:1\"\n").unwrap();
        let err = Settings::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
    }

    #[test]
    fn the_default_toml_parses_back() {
        let text = Settings::default_toml();
        let parsed: Settings = toml::from_str(&text).unwrap();
        assert_eq!(parsed.listen, Settings::default().listen);
    }
}
