//! One section per device kind. The serial keys (`port`, `baud`, `data_bits`, `parity`,
//! `stop_bits`, `flow_control`) are repeated in each section rather than flattened,
//! because serde cannot refuse unknown keys through `#[serde(flatten)]`.

use std::path::PathBuf;

use serde::Deserialize;

use super::serial::{
    FlowControl, Parity, SerialSettings, Terminator, default_baud, default_data_bits,
    default_stop_bits,
};
use super::{Secret, Span};

macro_rules! serial_accessor {
    ($ty:ty) => {
        impl $ty {
            /// How to open this device's port.
            pub fn serial(&self) -> SerialSettings {
                SerialSettings {
                    port: self.port.clone(),
                    baud: self.baud,
                    data_bits: self.data_bits,
                    parity: self.parity,
                    stop_bits: self.stop_bits,
                    flow_control: self.flow_control,
                }
            }
        }
    };
}

/// A serial QR scanner. Each line it sends is one scan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScannerConfig {
    pub lane: u16,
    pub port: PathBuf,
    #[serde(default = "default_baud")]
    pub baud: u32,
    #[serde(default = "default_data_bits")]
    pub data_bits: u8,
    #[serde(default)]
    pub parity: Parity,
    #[serde(default = "default_stop_bits")]
    pub stop_bits: u8,
    #[serde(default)]
    pub flow_control: FlowControl,
    /// What ends a scan: `CR` (most scanners' factory setting), `LF` or `CRLF`.
    #[serde(default = "scanner_terminator")]
    pub terminator: Terminator,
    /// Removed from the start of a line when present (a scanner's configured prefix).
    #[serde(default)]
    pub prefix: String,
    /// Removed from the end of a line when present.
    #[serde(default)]
    pub suffix: String,
    /// Longer lines are dropped and counted (at most `MAX_SCAN_BYTES`, 4096).
    #[serde(default = "default_max_line")]
    pub max_line: usize,
}
serial_accessor!(ScannerConfig);

fn scanner_terminator() -> Terminator {
    Terminator::CR
}
fn default_max_line() -> usize {
    512
}

/// How the bridge talks to a dispenser controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DispenserProtocol {
    /// The ASCII line protocol of `docs/dispenser-protocol.md`.
    Line,
    /// Modbus RTU with the register map in `[dispenser.registers]`.
    Modbus,
}

/// A dispenser controller on a serial line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispenserConfig {
    pub lane: u16,
    pub port: PathBuf,
    pub protocol: DispenserProtocol,
    #[serde(default = "default_baud")]
    pub baud: u32,
    #[serde(default = "default_data_bits")]
    pub data_bits: u8,
    #[serde(default)]
    pub parity: Parity,
    #[serde(default = "default_stop_bits")]
    pub stop_bits: u8,
    #[serde(default)]
    pub flow_control: FlowControl,
    /// Line protocol: how often the bridge sends `PING`; three unanswered pings make a
    /// `fault` ("not responding").
    #[serde(default = "default_ping_interval")]
    pub ping_interval: Span,
    /// How long an authorisation may wait for a dispenser that is away (unplugged, not
    /// answering) before it is dropped: past this the driver has gone to the attendant.
    #[serde(default = "default_auth_timeout")]
    pub auth_timeout: Span,
    /// Modbus: the slave (unit) id, 1-247.
    #[serde(default = "default_unit")]
    pub unit: u8,
    /// Modbus: how often the status registers are read.
    #[serde(default = "default_poll_interval")]
    pub poll_interval: Span,
    /// Modbus: how long to wait for an answer.
    #[serde(default = "default_timeout")]
    pub timeout: Span,
    /// Modbus: at most one `progress` event per this interval during a fill.
    #[serde(default = "default_progress_interval")]
    pub progress_interval: Span,
    #[serde(default)]
    pub registers: RegisterMap,
    #[serde(default)]
    pub status_codes: StatusCodes,
}
serial_accessor!(DispenserConfig);

fn default_ping_interval() -> Span {
    Span::secs(10)
}
fn default_auth_timeout() -> Span {
    Span::secs(60)
}
fn default_unit() -> u8 {
    1
}
fn default_poll_interval() -> Span {
    Span::millis(500)
}
fn default_timeout() -> Span {
    Span::millis(500)
}
fn default_progress_interval() -> Span {
    Span::secs(5)
}

/// Which Modbus function reads the status registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadFunction {
    /// Function 0x03.
    #[default]
    Holding,
    /// Function 0x04.
    Input,
}

/// Register addresses (0-based, as on the wire) of a Modbus dispenser. 32-bit values
/// span two registers, high word first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegisterMap {
    pub read: ReadFunction,
    /// Status code (16 bit), see `[dispenser.status_codes]`.
    pub status: u16,
    /// Delivered quantity of the current or last fill (32 bit), in 1/`kg_scale` kg.
    pub delivered: u16,
    /// Amount of the current or last fill in paise (32 bit).
    pub amount: u16,
    /// Fault code (16 bit), meaningful while the status is `fault`.
    pub fault_code: u16,
    /// Written: authorised quantity (32 bit) in 1/`kg_scale` kg; 0 = fill to full.
    pub auth_quantity: u16,
    /// Written: 1 authorises one fill of `auth_quantity`.
    pub auth_command: u16,
    /// Register units per kilogram (100: the registers hold 0.01 kg).
    pub kg_scale: u32,
}

impl Default for RegisterMap {
    fn default() -> Self {
        Self {
            read: ReadFunction::Holding,
            status: 0,
            delivered: 1,
            amount: 3,
            fault_code: 5,
            auth_quantity: 16,
            auth_command: 18,
            kg_scale: 100,
        }
    }
}

/// What the status register's values mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusCodes {
    pub idle: u16,
    pub authorised: u16,
    pub fuelling: u16,
    pub done: u16,
    pub fault: u16,
}

impl Default for StatusCodes {
    fn default() -> Self {
        Self {
            idle: 0,
            authorised: 1,
            fuelling: 2,
            done: 3,
            fault: 4,
        }
    }
}

/// An IP camera whose snapshot URL is polled for QR codes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    pub lane: u16,
    /// `http://` or `https://` URL answering one JPEG or PNG per GET.
    pub snapshot_url: String,
    /// Time between snapshots.
    #[serde(default = "default_interval")]
    pub interval: Span,
    /// Time allowed for one snapshot request.
    #[serde(default = "default_camera_timeout")]
    pub timeout: Span,
    /// A code seen again after being absent this long is published again.
    #[serde(default = "default_repeat_after")]
    pub repeat_after: Span,
    /// HTTP basic auth, when the camera needs it.
    pub username: Option<String>,
    pub password: Option<Secret>,
}

fn default_interval() -> Span {
    Span::secs(1)
}
fn default_camera_timeout() -> Span {
    Span::secs(3)
}
fn default_repeat_after() -> Span {
    Span::secs(10)
}

/// A lane display or a gate controller: receives one line per verdict of its lane.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisplayConfig {
    pub lane: u16,
    pub port: PathBuf,
    #[serde(default = "default_baud")]
    pub baud: u32,
    #[serde(default = "default_data_bits")]
    pub data_bits: u8,
    #[serde(default)]
    pub parity: Parity,
    #[serde(default = "default_stop_bits")]
    pub stop_bits: u8,
    #[serde(default)]
    pub flow_control: FlowControl,
    /// What ends each line sent to the device.
    #[serde(default)]
    pub terminator: Terminator,
}
serial_accessor!(DisplayConfig);
