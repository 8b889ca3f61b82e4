//! Layered settings of the edge agent: built-in defaults → `edge.toml` in the data dir →
//! `GASQ_*` environment → command-line flags (each layer overrides the one before).
//!
//! The data dir itself is chosen before any of this (flag `--data-dir` or
//! `GASQ_DATA_DIR`), because the TOML file lives inside it. `enroll` writes `cloud_url`
//! into the TOML file; everything else is optional.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The name of the TOML file inside the data dir.
pub const CONFIG_FILE: &str = "edge.toml";

/// Every key the TOML file and the `GASQ_*` environment may set.
pub const KEYS: &[&str] = &[
    "cloud_url",
    "mqtt_listen",
    "http_listen",
    "mqtt_url",
    "mqtt_username",
    "mqtt_password",
    "allow_anonymous",
    "pull_interval_secs",
    "pull_wait_secs",
    "request_timeout_secs",
    "push_batch",
    "backoff_max_secs",
    "clock_skew_tolerance_secs",
    "clock_max_drift_secs",
    "poison_attempts",
    "log",
];

pub use gasq_shared::secret::Secret;

/// The agent's settings after layering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Base URL of the GasQ cloud (written by `enroll`).
    pub cloud_url: Option<String>,
    /// Where the embedded station-bus broker listens (port 0: any free port).
    pub mqtt_listen: SocketAddr,
    /// Where the attendant HTTP API listens (port 0: any free port).
    pub http_listen: SocketAddr,
    /// Use this external broker (`mqtt://host:port`) instead of the embedded one.
    pub mqtt_url: Option<String>,
    /// External broker: the credentials the agent connects with (both or neither).
    /// Devices on the embedded broker log in with their own (`gasq-edge bus-client`).
    pub mqtt_username: Option<String>,
    pub mqtt_password: Option<Secret>,
    /// Let devices on the embedded broker connect without credentials, and take
    /// unsigned dispenser events. A lab setting: warned about at start, in `doctor` and
    /// in `/status`.
    pub allow_anonymous: bool,
    /// The least time between two pulls that brought nothing, when the cloud answers at
    /// once instead of holding the request (an older cloud, or `pull_wait_secs = 0`).
    pub pull_interval_secs: u64,
    /// How long the cloud may hold a pull until a change comes (the long poll that
    /// brings a cancellation to the lanes within 2 s; the cloud holds at most 25 s).
    pub pull_wait_secs: u64,
    /// How long an answer from the cloud may take (a held pull gets its wait on top)
    /// before it is given up and retried.
    pub request_timeout_secs: u64,
    /// Most events in one push.
    pub push_batch: usize,
    /// Ceiling of the retry backoff after sync failures.
    pub backoff_max_secs: u64,
    /// Slack on token windows for clock drift between this box and the cloud.
    pub clock_skew_tolerance_secs: u64,
    /// When the wall clock and the cloud's time (as last confirmed) disagree by more
    /// than this, tokens are judged by the cloud's time (docs/edge.md "Time").
    pub clock_max_drift_secs: u64,
    /// A lone event the cloud refuses this many times is quarantined.
    pub poison_attempts: u32,
    /// Log filter (tracing `EnvFilter` syntax); `RUST_LOG` wins when set.
    pub log: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            cloud_url: None,
            mqtt_listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            http_listen: SocketAddr::from(([127, 0, 0, 1], 8181)),
            mqtt_url: None,
            mqtt_username: None,
            mqtt_password: None,
            allow_anonymous: false,
            pull_interval_secs: 15,
            pull_wait_secs: 25,
            request_timeout_secs: 30,
            push_batch: 200,
            backoff_max_secs: 60,
            clock_skew_tolerance_secs: 120,
            clock_max_drift_secs: 120,
            poison_attempts: 3,
            log: "info,rumqttd=warn".into(),
        }
    }
}

/// Values given as flags; `None` leaves the lower layers alone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt_listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mqtt_url: Option<String>,
}

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("bad configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads the layers for the data dir `dir`.
    pub fn load(dir: &Path, flags: &FlagOverrides) -> Result<Self, ConfigError> {
        let file = dir.join(CONFIG_FILE);
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        // The file is optional; `file_exact` because a relative data dir must not make
        // figment go looking in parent directories.
        if file.exists() {
            figment = figment.merge(Toml::file_exact(&file));
        }
        let settings: Settings = figment
            .merge(Env::prefixed("GASQ_").only(KEYS))
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(|e| ConfigError(one_line(&e)))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.cloud_url {
            check_http_url(url).map_err(ConfigError)?;
        }
        if self.mqtt_username.is_some() != self.mqtt_password.is_some() {
            return Err(ConfigError(
                "set both mqtt_username and mqtt_password, or neither".into(),
            ));
        }
        if let Some(url) = &self.mqtt_url {
            crate::bus::remote::BrokerUrl::parse(url).map_err(ConfigError)?;
        }
        if self.pull_interval_secs == 0
            || self.backoff_max_secs == 0
            || self.request_timeout_secs == 0
        {
            return Err(ConfigError(
                "pull_interval_secs, backoff_max_secs and request_timeout_secs must be at least 1"
                    .into(),
            ));
        }
        if self.push_batch == 0 || self.poison_attempts == 0 {
            return Err(ConfigError(
                "push_batch and poison_attempts must be at least 1".into(),
            ));
        }
        Ok(())
    }

    pub fn pull_interval(&self) -> Duration {
        Duration::from_secs(self.pull_interval_secs)
    }

    pub fn pull_wait(&self) -> Duration {
        Duration::from_secs(self.pull_wait_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn backoff_max(&self) -> Duration {
        Duration::from_secs(self.backoff_max_secs)
    }

    /// The settings as TOML with secrets masked, for `gasq-edge config`.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        if shown.mqtt_password.is_some() {
            shown.mqtt_password = Some(Secret::new("***"));
        }
        toml::to_string(&shown).unwrap_or_else(|e| format!("# cannot render settings: {e}\n"))
    }
}

/// Checks that `url` is an absolute http(s) URL without a trailing path the API would
/// be appended to wrongly.
pub fn check_http_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "{url:?} is not an http(s) URL (e.g. https://gasq.example.in)"
        ));
    }
    Ok(())
}

/// Figment errors can span lines; the CLI prints one line.
fn one_line(e: &figment::Error) -> String {
    e.to_string().replace('\n', " ")
}

/// Sets `cloud_url` in the data dir's TOML file, keeping every other key.
pub fn write_cloud_url(dir: &Path, cloud_url: &str) -> Result<(), ConfigError> {
    let path = dir.join(CONFIG_FILE);
    let mut table = match std::fs::read_to_string(&path) {
        Ok(text) => text
            .parse::<toml::Table>()
            .map_err(|e| ConfigError(format!("{}: {}", path.display(), one_line_str(&e))))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(ConfigError(format!("{}: {e}", path.display()))),
    };
    table.insert(
        "cloud_url".into(),
        toml::Value::String(cloud_url.trim_end_matches('/').to_owned()),
    );
    let text = toml::to_string(&table).map_err(|e| ConfigError(e.to_string()))?;
    std::fs::write(&path, text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))
}

fn one_line_str(e: &impl fmt::Display) -> String {
    e.to_string().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_contract_ports() {
        let s = Settings::default();
        assert_eq!(s.mqtt_listen.to_string(), "127.0.0.1:1883");
        assert_eq!(s.http_listen.to_string(), "127.0.0.1:8181");
    }

    #[test]
    fn the_toml_file_overrides_defaults_and_flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "http_listen = \"127.0.0.1:9000\"\nmqtt_listen = \"127.0.0.1:9001\"\n",
        )
        .unwrap();
        let flags = FlagOverrides {
            http_listen: Some("127.0.0.1:9100".parse().unwrap()),
            ..Default::default()
        };
        let s = Settings::load(dir.path(), &flags).unwrap();
        assert_eq!(s.http_listen.to_string(), "127.0.0.1:9100");
        assert_eq!(s.mqtt_listen.to_string(), "127.0.0.1:9001");
    }

    #[test]
    fn a_typo_in_the_toml_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "http_lisen = \"x\"\n").unwrap();
        let err = Settings::load(dir.path(), &FlagOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("http_lisen"), "{err}");
    }

    #[test]
    fn a_password_without_a_user_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "mqtt_password = \"x\"\n").unwrap();
        assert!(Settings::load(dir.path(), &FlagOverrides::default()).is_err());
    }

    #[test]
    fn secrets_are_not_shown() {
        let s = Settings {
            mqtt_username: Some("dev".into()),
            mqtt_password: Some(Secret::new("hunter2")),
            ..Settings::default()
        };
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!s.to_redacted_toml().contains("hunter2"));
    }

    #[test]
    fn enrollment_keeps_other_keys_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "push_batch = 50\n").unwrap();
        write_cloud_url(dir.path(), "https://cloud.example/").unwrap();
        let s = Settings::load(dir.path(), &FlagOverrides::default()).unwrap();
        assert_eq!(s.push_batch, 50);
        assert_eq!(s.cloud_url.as_deref(), Some("https://cloud.example"));
    }
}
