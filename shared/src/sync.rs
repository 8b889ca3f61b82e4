//! Edge ↔ cloud sync DTOs (the JSON of `POST /api/v1/edge/enroll`,
//! `GET /api/v1/edge/changes`, `POST /api/v1/edge/events`). Documented in
//! `docs/sync-protocol.md`.
//!
//! Every request after enrollment carries `Authorization: Bearer <device JWT>`: EdDSA,
//! signed with the device key made at enrollment, claims [`DeviceClaims`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{BookingId, DeviceId, EventId, StationCode, StationId};
use crate::keys::TokenKeys;
use crate::lanecode::LaneCodeSecret;
use crate::policy::StationPolicy;
use crate::topics::Reason;

/// The audience every device JWT names.
pub const DEVICE_JWT_AUDIENCE: &str = "gasq-cloud/edge";
/// Device JWTs live this long; the edge makes a fresh one well before expiry.
pub const DEVICE_JWT_TTL_SECS: i64 = 300;
/// How far the cloud lets a device JWT's `iat`/`exp` disagree with its own clock. A box
/// whose clock is off by more than this gets 401 on every signed call: its clock, not
/// its enrollment, is what needs fixing (`gasq-edge doctor` says so).
pub const DEVICE_JWT_LEEWAY_SECS: i64 = 120;

/// Claims of a device JWT. `sub` is the device id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceClaims {
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// `POST /api/v1/edge/enroll`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    /// The one-time enrollment code.
    pub code: String,
    /// The device's Ed25519 public key, base64url without padding.
    pub public_key: String,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// The device this box was enrolled as before (`gasq-edge enroll --force`): the
    /// cloud revokes it once the new enrollment succeeds, if it belongs to the same
    /// station, so the box's old key stops working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<DeviceId>,
}

/// The answer to an enrollment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub device_id: DeviceId,
    pub station: StationConfig,
    pub keys: TokenKeys,
    /// The station-local secret attendants use on the edge's HTTP API. Shown once here;
    /// the edge stores only a hash of it.
    pub attendant_secret: String,
    /// The station's lane-code secrets (current and previous version), so the box
    /// checks drivers' 8-digit codes from its first minute.
    #[serde(default)]
    pub lane_code_secrets: Vec<LaneCodeSecret>,
}

/// A station's configuration as the edge needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StationConfig {
    pub station_id: StationId,
    pub code: StationCode,
    pub name: String,
    #[serde(flatten)]
    pub policy: StationPolicy,
}

/// A booking the edge should know about (for offline display, revocation, quantity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncedBooking {
    pub id: BookingId,
    /// Short code drivers without a smartphone quote at the lane.
    pub code: String,
    pub vehicle: Option<String>,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// Hundredths of a kilogram; 0 = fill to full.
    pub quantity_centikg: u16,
    pub prepaid: bool,
}

/// One entry of the per-station change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A booking was confirmed (or changed) for this station.
    Booking { booking: SyncedBooking },
    /// A booking was cancelled, refunded or expired: refuse its token from now on.
    Revoked { booking_id: BookingId },
    /// The token verification key set changed.
    Keys { keys: TokenKeys },
    /// The station's configuration changed (or its lane-code secret was rotated).
    Station {
        config: StationConfig,
        /// The lane-code secrets the edge should hold now, newest first: the current
        /// version and the ones before it (codes given out under them still work).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lane_code_secrets: Vec<LaneCodeSecret>,
    },
}

/// `GET /api/v1/edge/changes?since=<cursor>`.
///
/// With `full_resync`, the edge drops what it cached about bookings (never its own
/// redemptions) and applies `changes` as the complete picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesResponse {
    pub full_resync: bool,
    pub changes: Vec<Change>,
    /// Pass this as `since` next time.
    pub cursor: i64,
    /// More changes wait: ask again at once.
    pub more: bool,
    pub server_time: DateTime<Utc>,
}

/// What happened at the station, as the edge reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EdgeEventKind {
    /// A token (or short code) was accepted and redeemed at a lane.
    Redeemed {
        booking_id: BookingId,
        lane: Option<u16>,
        /// Whether the edge had heard of the booking by sync before (false: offline accept).
        known: bool,
    },
    /// A scan was refused.
    Rejected {
        reason: Reason,
        booking_id: Option<BookingId>,
        lane: Option<u16>,
    },
    /// A dispenser finished a fill.
    Fill {
        booking_id: Option<BookingId>,
        lane: u16,
        kg: f64,
        amount_paise: Option<i64>,
    },
    LaneFault {
        lane: u16,
        detail: Option<String>,
    },
    LaneOk {
        lane: u16,
    },
    /// A walk-in joined the queue.
    Walkin {
        ticket: u32,
        vehicle: Option<String>,
    },
    /// Queue length, sampled when it changes.
    Queue {
        waiting: u32,
        lanes_up: u16,
    },
}

/// One recorded event; `id` is made at the edge so the cloud counts it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EdgeEvent {
    pub id: EventId,
    /// The edge's own order of events, strictly increasing.
    pub seq: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: EdgeEventKind,
}

/// `POST /api/v1/edge/events`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventBatch {
    pub events: Vec<EdgeEvent>,
}

/// An event the cloud will never accept, with why; the edge quarantines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectedEvent {
    pub id: EventId,
    pub reason: String,
}

/// The answer to an event batch. Acked ids (including ones seen before) leave the
/// outbox; rejected ones are quarantined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventsResponse {
    pub acked: Vec<EventId>,
    pub rejected: Vec<RejectedEvent>,
}
