//! GasQ's contracts, shared by the cloud, the edge agent and the firmware bridge:
//! validated ids ([`ids`]), token v1 ([`token`], [`base45`]), the published key set
//! ([`keys`]), a station's booking policy ([`policy`]), the station bus ([`topics`]),
//! edge ↔ cloud sync ([`sync`]) and the problem+json error body ([`problem`]). Also:
//! [`lanecode`] (the 8-digit codes the edge checks offline), [`bussig`] (signed verdicts and dispenser events on the station bus), [`secret`]
//! (a value logs never show) and, with the `frames` feature, `frames` (QR
//! codes read from camera frames).

#![forbid(unsafe_code)]

pub mod base45;
pub mod bussig;
#[cfg(feature = "frames")]
pub mod frames;
pub mod ids;
pub mod keys;
pub mod lanecode;
pub mod policy;
pub mod problem;
pub mod secret;
pub mod sync;
pub mod token;
pub mod topics;

pub use ids::{
    BookingId, DeviceId, EventId, ParseError, Phone, Quantity, StationCode, StationId, UserId,
    VehicleId, VehicleReg,
};
