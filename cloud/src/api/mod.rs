//! The HTTP API, one router per resource. [`crate::router`] merges them.

pub mod audit;
pub mod auth;
pub mod bookings;
pub mod dashboard;
pub mod edge;
pub mod edge_sync;
pub mod me;
pub mod ops;
pub mod slots;
pub mod stations;
pub mod tokens;
