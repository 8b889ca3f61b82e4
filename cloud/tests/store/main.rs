//! The store's behaviour, identical on SQLite and PostgreSQL: each test runs on both
//! (PostgreSQL when `GASQ_TEST_DATABASE_URL` is set, as `.ci/run` does). One module
//! per area of the store.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod audit;
mod bookings;
mod idempotency;
mod keys;
mod payments;
mod stations;
mod support;
mod vehicles;
mod waitlist;
