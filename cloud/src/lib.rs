//! GasQ cloud: the booking API, token signing, and (later) edge sync and dashboards.

#![forbid(unsafe_code)]

pub mod audit;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod secret;
pub mod store;
