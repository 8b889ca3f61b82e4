//! Serial line settings shared by scanners, dispensers, displays and gates, and the line
//! terminator a device uses. Kept apart from the device sections so every driver opens
//! its port from the same settings.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Parity bit of a serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    #[default]
    None,
    Even,
    Odd,
}

/// Flow control of a serial line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowControl {
    #[default]
    None,
    /// XON/XOFF.
    Software,
    /// RTS/CTS.
    Hardware,
}

/// How a device ends a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Terminator {
    #[serde(alias = "cr")]
    CR,
    #[serde(alias = "lf")]
    LF,
    #[default]
    #[serde(alias = "crlf")]
    CRLF,
}

impl Terminator {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Self::CR => b"\r",
            Self::LF => b"\n",
            Self::CRLF => b"\r\n",
        }
    }
}

impl fmt::Display for Terminator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CR => "CR",
            Self::LF => "LF",
            Self::CRLF => "CRLF",
        })
    }
}

/// Everything needed to open one serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    /// Device path, e.g. `/dev/ttyUSB0` or a udev symlink such as `/dev/gasq-scanner-1`.
    pub port: PathBuf,
    pub baud: u32,
    pub data_bits: u8,
    pub parity: Parity,
    pub stop_bits: u8,
    pub flow_control: FlowControl,
}

impl SerialSettings {
    /// 8N1 at `baud`, no flow control: what most scanners and controllers ship with.
    pub fn new(port: impl Into<PathBuf>, baud: u32) -> Self {
        Self {
            port: port.into(),
            baud,
            data_bits: 8,
            parity: Parity::None,
            stop_bits: 1,
            flow_control: FlowControl::None,
        }
    }

    /// Checks the numbers a UART accepts; the message names the offending key.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.port.as_os_str().is_empty() {
            return Err((
                "port",
                "is empty (give the device path, e.g. /dev/ttyUSB0)".into(),
            ));
        }
        if self.baud == 0 || self.baud > 4_000_000 {
            return Err(("baud", format!("{} is not a baud rate", self.baud)));
        }
        if !(5..=8).contains(&self.data_bits) {
            return Err((
                "data_bits",
                format!("{} is not 5, 6, 7 or 8", self.data_bits),
            ));
        }
        if !(1..=2).contains(&self.stop_bits) {
            return Err(("stop_bits", format!("{} is not 1 or 2", self.stop_bits)));
        }
        Ok(())
    }
}

pub(crate) fn default_baud() -> u32 {
    9600
}

pub(crate) fn default_data_bits() -> u8 {
    8
}

pub(crate) fn default_stop_bits() -> u8 {
    1
}
