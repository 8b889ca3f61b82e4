//! Lane codes as the cloud makes them and hands their secrets to edges
//! (docs/architecture.md, "Lane codes"): a booking's 8-digit code is a MAC under its
//! station's lane-code secret, which the station's edge holds and checks offline.

use chrono::{DateTime, Utc};
use gasq_shared::lanecode::{self, CodeSubject, LaneCodeSecret};
use gasq_shared::{BookingId, StationId};

use super::App;
use crate::domain::{Actor, AuditEntry, Station};
use crate::store::StoreError;

/// The codes a new booking may take, best first: one per nonce, under the station's
/// current secret. The store keeps the first no other booking has.
pub fn candidates(
    app: &App,
    station: &Station,
    booking: BookingId,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
) -> Vec<String> {
    let secret = app
        .crypto
        .lane_code_secret(station.id, station.lane_code_version);
    let subject = CodeSubject {
        booking,
        station: station.id,
        valid_from,
        valid_until,
    };
    (0..lanecode::NONCES)
        .map(|n| lanecode::lane_code(&secret, &subject, n))
        .collect()
}

/// Versions an edge holds besides the current one: enough for any booking still ahead
/// however often the secret was rotated (a rotation is rare: a lost box).
const KEPT_VERSIONS: u32 = 16;

/// The secrets the station's edges hold, newest first: the current version, and the
/// earlier ones, so that codes given out before a rotation keep working. A rotation
/// protects what comes after it: new bookings get codes under a secret a lost box
/// never had.
pub fn edge_secrets(app: &App, station: &Station) -> Vec<LaneCodeSecret> {
    let current = station.lane_code_version;
    let oldest = current.saturating_sub(KEPT_VERSIONS - 1).max(1);
    (oldest..=current)
        .rev()
        .map(|v| LaneCodeSecret::from_bytes(v, &app.crypto.lane_code_secret(station.id, v)))
        .collect()
}

/// Rotates `station`'s lane-code secret (a box was lost, or on a schedule): new
/// bookings get codes under the next version; edges get it with their next pull and
/// keep the previous version for codes already given out. Returns the new version.
/// `actor` is `None` for the system (the CLI).
pub async fn rotate(
    app: &App,
    actor: Option<&Actor>,
    station: StationId,
) -> Result<u32, StoreError> {
    const ACTION: &str = "station.lane_codes.rotate";
    let target = format!("station:{station}");
    let entry = match actor {
        Some(a) => a.audit(ACTION, target, serde_json::Value::Null),
        None => AuditEntry {
            action: ACTION.into(),
            target,
            ..AuditEntry::default()
        },
    };
    app.store.rotate_lane_codes(station, entry).await
}
