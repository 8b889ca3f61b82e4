//! GasQ firmware bridge: the station's device drivers on the station bus.
//!
//! Serial QR scanners and lane cameras publish scans; the edge agent answers with
//! verdicts, which the [`router`] turns into display and gate lines and dispenser
//! authorisations; dispensers (ASCII line protocol or Modbus RTU) report fills. The
//! [`simulate`] module runs virtual lanes for demos and load tests.
//!
//! `main.rs` only parses the command line and sets up logging; [`cli::execute`] runs
//! the command through [`launch`] (or [`simulate::run`]), so tests drive the same code
//! in-process.

#![forbid(unsafe_code)]

pub mod backoff;
mod bridge;
pub mod cli;
pub mod config;
pub mod drivers;
pub mod mqtt;
pub mod router;
pub mod serial;
pub mod simulate;
pub mod stats;

pub use bridge::{Bridge, LaunchError, bus_settings, launch, start_bus};
