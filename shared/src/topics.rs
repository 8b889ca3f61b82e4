//! The station bus (contract, docs/architecture.md "Station bus"): topic names and payloads.
//!
//! Everything that arrives from devices is parsed here into types or a clear error,
//! so the agent answers garbage with a `malformed` verdict instead of falling over.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{BookingId, ParseError, StationCode};
use crate::token::TokenError;

/// Largest payload a lane topic accepts; more is garbage, not a QR (a frame may be an
/// image, so it gets its own, larger bound).
pub const MAX_SCAN_BYTES: usize = 4096;
pub const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;

/// What a lane topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LaneChannel {
    Scan,
    Frame,
    Verdict,
    Dispenser,
}

impl LaneChannel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Scan => "scan",
            Self::Frame => "frame",
            Self::Verdict => "verdict",
            Self::Dispenser => "dispenser",
        }
    }
}

/// A parsed station-bus topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    Lane {
        station: StationCode,
        lane: u16,
        channel: LaneChannel,
    },
    Queue {
        station: StationCode,
    },
    EdgeStatus {
        station: StationCode,
    },
}

impl Topic {
    pub fn lane(station: &StationCode, lane: u16, channel: LaneChannel) -> Self {
        Self::Lane {
            station: station.clone(),
            lane,
            channel,
        }
    }

    /// Parses a topic name; `None` for anything outside the contract.
    pub fn parse(name: &str) -> Option<Self> {
        let parts: Vec<&str> = name.split('/').collect();
        let station = StationCode::parse(parts.get(1)?).ok()?;
        if parts[0] != "gasq" || parts[1] != station.as_str() {
            return None;
        }
        match parts.as_slice() {
            [_, _, "lane", lane, channel] => {
                // Canonical numbers only: `01` and `+1` would be a second name for lane 1.
                if lane.starts_with('0') || !lane.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let lane: u16 = lane.parse().ok().filter(|n| *n >= 1)?;
                let channel = match *channel {
                    "scan" => LaneChannel::Scan,
                    "frame" => LaneChannel::Frame,
                    "verdict" => LaneChannel::Verdict,
                    "dispenser" => LaneChannel::Dispenser,
                    _ => return None,
                };
                Some(Self::Lane {
                    station,
                    lane,
                    channel,
                })
            }
            [_, _, "queue"] => Some(Self::Queue { station }),
            [_, _, "edge", "status"] => Some(Self::EdgeStatus { station }),
            _ => None,
        }
    }

    /// The subscription filter for one channel of every lane of a station.
    pub fn all_lanes(station: &StationCode, channel: LaneChannel) -> String {
        format!("gasq/{station}/lane/+/{}", channel.as_str())
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lane {
                station,
                lane,
                channel,
            } => {
                write!(f, "gasq/{station}/lane/{lane}/{}", channel.as_str())
            }
            Self::Queue { station } => write!(f, "gasq/{station}/queue"),
            Self::EdgeStatus { station } => write!(f, "gasq/{station}/edge/status"),
        }
    }
}

/// A scan: the text a scanner read, and the id the device gave it (echoed in the verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub code: String,
}

impl Scan {
    /// A scan payload is either the scanned text as UTF-8, or JSON `{"id","code"}`.
    /// Trailing CR/LF (scanner terminators) are removed from raw text.
    pub fn parse(payload: &[u8]) -> Result<Self, ParseError> {
        if payload.len() > MAX_SCAN_BYTES {
            return Err(ParseError(format!(
                "scan of {} bytes is too large",
                payload.len()
            )));
        }
        let text =
            std::str::from_utf8(payload).map_err(|_| ParseError("scan is not UTF-8".into()))?;
        if text.trim_start().starts_with('{') {
            #[derive(Deserialize)]
            struct Wire {
                #[serde(default)]
                id: Option<serde_json::Value>,
                code: String,
            }
            let wire: Wire = serde_json::from_str(text)
                .map_err(|e| ParseError(format!("scan JSON is not {{\"id\",\"code\"}}: {e}")))?;
            // Devices send ids as strings or numbers; echo them back as text.
            let id = match wire.id {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                Some(_) => return Err(ParseError("scan id must be a string or a number".into())),
            };
            return Ok(Self {
                id,
                code: wire.code,
            });
        }
        Ok(Self {
            id: None,
            code: text.trim_end_matches(['\r', '\n']).to_owned(),
        })
    }
}

/// Why a token was accepted or refused at the lane (contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Ok,
    Malformed,
    UnknownKey,
    BadSignature,
    WrongStation,
    NotYetValid,
    Expired,
    AlreadyUsed,
    Revoked,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Malformed => "malformed",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::WrongStation => "wrong_station",
            Self::NotYetValid => "not_yet_valid",
            Self::Expired => "expired",
            Self::AlreadyUsed => "already_used",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&TokenError> for Reason {
    fn from(e: &TokenError) -> Self {
        match e {
            TokenError::Malformed(_) => Self::Malformed,
            TokenError::UnknownKey(_) => Self::UnknownKey,
            TokenError::BadSignature => Self::BadSignature,
        }
    }
}

/// The edge agent's answer to a scan (contract).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub scan_id: Option<String>,
    pub accepted: bool,
    pub reason: Reason,
    pub booking_id: Option<BookingId>,
    pub vehicle: Option<String>,
    pub quantity_kg: Option<f64>,
    pub lane: Option<u16>,
    pub at: DateTime<Utc>,
}

/// What a dispenser reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispenserEventKind {
    Start,
    Progress,
    End,
    Fault,
    Ok,
}

/// A dispenser event (contract): `{"event",...,"booking_id"?,"kg"?,"amount_paise"?,"at"?}`.
/// `detail` (optional, an addition) carries a fault's description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispenserEvent {
    pub event: DispenserEventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<BookingId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_paise: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl DispenserEvent {
    pub fn parse(payload: &[u8]) -> Result<Self, ParseError> {
        if payload.len() > MAX_SCAN_BYTES {
            return Err(ParseError("dispenser event too large".into()));
        }
        let event: Self = serde_json::from_slice(payload)
            .map_err(|e| ParseError(format!("dispenser event is not valid JSON: {e}")))?;
        if event.kg.is_some_and(|kg| !kg.is_finite() || kg < 0.0) {
            return Err(ParseError(
                "dispenser kg must be a non-negative number".into(),
            ));
        }
        if event.amount_paise.is_some_and(|p| p < 0) {
            return Err(ParseError(
                "dispenser amount_paise must not be negative".into(),
            ));
        }
        Ok(event)
    }
}

/// Who waits in the lane queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueEntry {
    /// `booking` or `walkin`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<BookingId>,
    /// Walk-in ticket number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
    /// The lane this vehicle is sent to.
    pub lane: Option<u16>,
    pub since: DateTime<Utc>,
}

/// One lane's state in the queue snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaneState {
    pub lane: u16,
    pub up: bool,
    pub serving: Option<QueueEntry>,
    pub waiting: u32,
    /// Minutes until a newly assigned vehicle would start fuelling here.
    pub expected_wait_minutes: f64,
}

/// The retained `gasq/{station}/queue` payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueSnapshot {
    pub lanes: Vec<LaneState>,
    /// The waiting order, first to be served first.
    pub waiting: Vec<QueueEntry>,
    pub updated_at: DateTime<Utc>,
}

/// The retained `gasq/{station}/edge/status` payload (also the agent's last will, with
/// `online_to_cloud: false` and `agent_online: false`).
///
/// The last will is written when the agent connects, long before it dies, so it cannot
/// know the outbox or the last sync at that moment: it says `outbox_depth: null` and
/// `last_sync_at: null` (unknown), never a made-up `0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EdgeStatus {
    pub online_to_cloud: bool,
    /// The same as `last_pull_at` (kept for displays that read the older name).
    pub last_sync_at: Option<DateTime<Utc>>,
    /// The edge's last successful pull: its knowledge of the cloud was current then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_pull_at: Option<DateTime<Utc>>,
    /// The last batch of events the cloud acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_push_at: Option<DateTime<Utc>>,
    /// Events waiting to be sent; `null` when unknown (the last will).
    pub outbox_depth: Option<u64>,
    pub version: String,
    #[serde(default = "yes")]
    pub agent_online: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_unsent_at: Option<DateTime<Utc>>,
    /// Events the cloud refused for good (quarantined at the edge; see `gasq-edge
    /// doctor`); `null` when unknown (the last will).
    #[serde(default)]
    pub quarantined: Option<u64>,
}

fn yes() -> bool {
    true
}

/// A raw 8-bit grey image on the `frame` topic: JSON `{"w":W,"h":H,"gray":"<base64 of
/// W×H bytes, row by row>"}`. PNG and JPEG frames are sent as the file bytes instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrayFrame {
    pub w: u32,
    pub h: u32,
    pub gray: String,
}

#[cfg(test)]
mod tests;
