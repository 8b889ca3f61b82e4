//! The HTTP API: handlers that extract a request, call one use case (`crate::app`) and
//! shape its answer. Which handler answers which route is in `crate::router`.

pub mod audit;
pub mod auth;
pub mod bookings;
pub mod dashboard;
pub mod devices;
pub mod edge;
pub mod extract;
pub mod ivr;
pub mod me;
pub mod ops;
pub mod payments;
pub mod sms;
pub mod stations;
pub mod tokens;
pub mod waitlist;
