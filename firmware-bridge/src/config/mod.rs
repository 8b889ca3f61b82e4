//! The bridge's configuration (the contract keys are in docs/architecture.md "Programs
//! and configuration"): `station`, `[mqtt]`, and one table array per device kind —
//! `[[scanner]]`, `[[dispenser]]`, `[[camera]]`, `[[display]]`, `[[gate]]`.
//!
//! Unknown keys are refused (a typo such as `baudrate` must not silently fall back to
//! 9600). [`load`] layers defaults → TOML → `GASQ_*` environment → flags; [`validate`]
//! then checks what serde cannot (unique ports, one dispenser per lane, URLs).
//!
//! This module depends on no other module of the bridge: the value types
//! ([`BrokerAddress`], [`ConfigError`], the device sections) sit at the bottom, and the
//! bus, the drivers and the simulator read them.

mod address;
mod credentials;
mod devices;
mod duration;
mod error;
mod load;
mod serial;
#[cfg(test)]
mod tests;
mod validate;

use gasq_shared::StationCode;
use serde::Deserialize;

pub use address::BrokerAddress;
pub use devices::{
    CameraConfig, DispenserConfig, DispenserProtocol, DisplayConfig, ReadFunction, RegisterMap,
    ScannerConfig, StatusCodes,
};
pub use duration::Span;
pub use error::ConfigError;
pub use load::{Overrides, load, parse_str};
pub use serial::{FlowControl, Parity, SerialSettings, Terminator};
pub use validate::validate;

/// The commented example printed by `gasq-bridge default-config`.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// Everything `gasq-bridge run` needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The station code; it names every topic (`gasq/{station}/...`).
    pub station: StationCode,
    #[serde(default)]
    pub mqtt: MqttConfig,
    #[serde(default)]
    pub scanner: Vec<ScannerConfig>,
    #[serde(default)]
    pub dispenser: Vec<DispenserConfig>,
    #[serde(default)]
    pub camera: Vec<CameraConfig>,
    #[serde(default)]
    pub display: Vec<DisplayConfig>,
    #[serde(default)]
    pub gate: Vec<DisplayConfig>,
}

/// The station-bus connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `mqtt://HOST:PORT` (port 1883 when left out).
    #[serde(default = "default_url")]
    pub url: String,
    /// The device's login (`gasq-edge bus-client add NAME`); it also signs the
    /// bridge's dispenser events (docs/bridge.md "Station-bus security").
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The file holding the JSON line `gasq-edge bus-client add` printed; fills
    /// `username`, `password` and `verdict_key` where they are not set.
    pub credentials: Option<std::path::PathBuf>,
    /// The edge's station-bus public key (base64url): only verdicts it signed are
    /// shown or authorise a dispenser.
    pub verdict_key: Option<String>,
    /// A verdict older (or further ahead) than this by the bridge's clock is refused.
    #[serde(default = "default_verdict_max_age")]
    pub verdict_max_age: Span,
    /// Defaults to the username (else `gasq-bridge-{station}`); a device's client id
    /// must be its username or start with the username and `-`.
    pub client_id: Option<String>,
    /// Messages kept while the broker is away; beyond this the oldest are dropped.
    #[serde(default = "default_buffer")]
    pub buffer: usize,
    #[serde(default = "default_keep_alive")]
    pub keep_alive: Span,
    /// First wait before reconnecting; doubles up to `reconnect_max` (with jitter).
    #[serde(default = "default_reconnect_min")]
    pub reconnect_min: Span,
    #[serde(default = "default_reconnect_max")]
    pub reconnect_max: Span,
    /// A scan the broker has not taken within this is dropped, not delivered late (the
    /// driver has rescanned or left). Dispenser events are kept regardless.
    #[serde(default = "default_scan_ttl")]
    pub scan_ttl: Span,
}

impl Default for MqttConfig {
    fn default() -> Self {
        Self {
            url: default_url(),
            username: None,
            password: None,
            credentials: None,
            verdict_key: None,
            verdict_max_age: default_verdict_max_age(),
            client_id: None,
            buffer: default_buffer(),
            keep_alive: default_keep_alive(),
            reconnect_min: default_reconnect_min(),
            reconnect_max: default_reconnect_max(),
            scan_ttl: default_scan_ttl(),
        }
    }
}

fn default_url() -> String {
    "mqtt://127.0.0.1:1883".into()
}
fn default_buffer() -> usize {
    1000
}
fn default_keep_alive() -> Span {
    Span::secs(10)
}
fn default_reconnect_min() -> Span {
    Span::millis(200)
}
fn default_reconnect_max() -> Span {
    Span::secs(10)
}
fn default_verdict_max_age() -> Span {
    Span::secs(30)
}
fn default_scan_ttl() -> Span {
    Span::secs(60)
}

pub use gasq_shared::secret::Secret;
