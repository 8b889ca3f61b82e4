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
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Defaults to `gasq-bridge-{station}`; give each bridge on one broker its own.
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
fn default_scan_ttl() -> Span {
    Span::secs(60)
}

pub use gasq_shared::secret::Secret;
