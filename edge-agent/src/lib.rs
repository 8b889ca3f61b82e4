//! GasQ edge agent: runs on the station box. It hosts the station bus (an embedded
//! rumqttd broker, or an external one), validates e-tokens scanned at the lanes
//! offline and redeems each booking once in SQLite, runs the lane queue, records
//! everything in an outbox and syncs it with the cloud, and serves the attendant API.
//!
//! Map: [`cli`] / [`commands`] (the programs) · [`agent`] (starts the components around
//! one [`state::AgentState`]) · [`broker`] + [`bus`] (station bus) with [`busclients`]
//! (device credentials) and [`buskey`] (signed verdicts) · [`lanes`] (per-lane
//! workers) · [`validator`] · [`redemptions`] + [`outbox`] + [`recorder`] + [`db`]
//! (durable state) · [`queue`] · [`sync`] (cloud client, pull, push) · [`attendant`]
//! (HTTP) with [`attendant_secret`] · [`clock`] (time to judge tokens by) · [`enroll`] · [`doctor`] · [`status`].

#![forbid(unsafe_code)]

pub mod agent;
pub mod attendant;
pub mod attendant_secret;
pub mod broker;
pub mod bus;
pub mod busclients;
pub mod buskey;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod datadir;
pub mod db;
pub mod device;
pub mod doctor;
pub mod enroll;
pub mod identity;
pub mod lanecodes;
pub mod lanes;
pub mod logs;
pub mod metrics;
pub mod outbox;
pub mod queue;
pub mod recorder;
pub mod redemptions;
pub mod state;
pub mod station;
pub mod status;
pub mod sync;
pub mod validator;
