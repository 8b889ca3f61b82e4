//! Helpers shared by the cloud's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

pub mod app;
pub mod browser;
pub mod db;
pub mod device;
pub mod paying;
pub mod razorpay;
pub mod roads;
pub mod roles;
pub mod served;
pub mod smtp;
pub mod twilio;
pub mod webdriver;
pub mod world;
