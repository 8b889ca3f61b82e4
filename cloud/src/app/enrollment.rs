//! Enrolling edge boxes: one-time codes made by a station's staff (or the CLI), and the
//! box presenting one with its device key. Only a hash of a code's secret part is kept.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use gasq_shared::sync::{EnrollRequest, EnrollResponse};
use gasq_shared::{DeviceId, StationId, UserId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::access::{self, AccessError};
use super::devices;
use super::stations::{self, StationError};
use super::sync::station_config;
use super::{App, Invalid};
use crate::domain::{Actor, AuditEntry, codes};
use crate::signing::SigningError;
use crate::store::{EnrollOutcome, NewDevice, NewEnrollmentCode, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Station(#[from] StationError),
    /// The code does not enroll anything; the text says why.
    #[error("{0}")]
    CodeRefused(&'static str),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, EnrollError>;

/// A new one-time enrollment code.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentCode {
    /// Give this to `gasq-edge enroll --code`. Works once.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A code made by a station's staff (admins, technicians, super admins).
pub async fn create_code(app: &App, staff: &Actor, station: StationId) -> Result<EnrollmentCode> {
    access::require_station(app, staff, station).await?;
    stations::get(app, station).await?;
    let entry = staff.audit(
        "edge.enrollment_code",
        format!("station:{station}"),
        serde_json::json!({}),
    );
    issue_code(app, station, Some(staff.id), entry).await
}

/// A code made by the system (`gasq-cloud enrollment-code`, the demo).
pub async fn create_code_as_system(app: &App, station: StationId) -> Result<EnrollmentCode> {
    stations::get(app, station).await?;
    let entry = AuditEntry {
        action: "edge.enrollment_code".into(),
        target: format!("station:{station}"),
        ..AuditEntry::default()
    };
    issue_code(app, station, None, entry).await
}

/// Draws of a code id before giving up: ids are short (4 characters, about a million),
/// so with thousands of codes out a draw can meet a taken id; another draw is free.
const ID_DRAWS: usize = 8;

async fn issue_code(
    app: &App,
    station: StationId,
    created_by: Option<UserId>,
    mut entry: AuditEntry,
) -> Result<EnrollmentCode> {
    let now = Utc::now();
    let expires_at = now + Duration::hours(app.settings.edge.enrollment_code_ttl_hours);
    let mut draws = 0;
    loop {
        let (id, secret) = (codes::random_code(4), codes::random_code(8));
        let code = NewEnrollmentCode {
            id: id.clone(),
            secret_hash: secret_hash(&secret),
            station_id: station,
            created_by,
            created_at: now,
            expires_at,
        };
        entry.detail = serde_json::json!({ "code_id": id, "expires_at": expires_at });
        match app.store.create_enrollment_code(code, entry.clone()).await {
            Ok(()) => {
                return Ok(EnrollmentCode {
                    code: format!("{id}-{}-{}", &secret[..4], &secret[4..]),
                    expires_at,
                });
            }
            Err(StoreError::Conflict(_)) if draws + 1 < ID_DRAWS => draws += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Revokes the device a re-enrolled box was before, if it belongs to the same station
/// (a code for one station never revokes another's boxes). The new enrollment stands
/// either way: a failure here is logged for the technician to revoke by hand.
async fn replace(app: &App, old: DeviceId, new: DeviceId, station: StationId) {
    let same_station =
        matches!(app.store.device(old).await, Ok(Some(d)) if d.station_id == station);
    if !same_station {
        tracing::warn!(%old, %new, "re-enrollment names a device not of this station; not revoked");
        return;
    }
    let why = format!("replaced by device {new} (re-enrolled)");
    if let Err(e) = devices::revoke_as_system(app, old, &why).await {
        tracing::error!(%old, error = %e, "cannot revoke the replaced device: revoke it with gasq-cloud device revoke");
    }
}

fn device_key(public_key: &str) -> std::result::Result<[u8; 32], Invalid> {
    URL_SAFE_NO_PAD
        .decode(public_key.trim_end_matches('='))
        .ok()
        .and_then(|k| k.try_into().ok())
        .filter(|k| ed25519_dalek::VerifyingKey::from_bytes(k).is_ok())
        .ok_or_else(|| {
            Invalid::new(
                "public_key",
                "must be a 32-byte Ed25519 public key, base64url",
            )
        })
}

/// Enrolls an edge box with a one-time code and its device public key.
pub async fn enroll(app: &App, req: EnrollRequest) -> Result<EnrollResponse> {
    let public_key = device_key(&req.public_key)?;
    let typed = codes::normalize(&req.code);
    if typed.len() != 12 || !codes::is_code(&typed) {
        return Err(Invalid::new(
            "code",
            "an enrollment code has 12 characters (XXXX-XXXX-XXXX)",
        )
        .into());
    }
    let (id, secret) = typed.split_at(4);
    let attendant_secret = codes::random_code(16);
    let device = NewDevice {
        id: DeviceId::new(),
        public_key,
        hostname: req.hostname.map(|h| h.chars().take(100).collect()),
        version: req.version.map(|v| v.chars().take(40).collect()),
        attendant_secret_enc: app.crypto.encrypt_pii(&attendant_secret),
    };
    let device_id = device.id;
    let max = app.settings.edge.enrollment_attempts_per_code;
    let outcome = app
        .store
        .enroll_device(id, &secret_hash(secret), device, Utc::now(), max)
        .await?;
    let station = match outcome {
        EnrollOutcome::Enrolled(station) => station,
        EnrollOutcome::Refused => {
            return Err(EnrollError::CodeRefused(
                "this enrollment code is not valid",
            ));
        }
        EnrollOutcome::Expired => {
            return Err(EnrollError::CodeRefused("this enrollment code has expired"));
        }
        EnrollOutcome::Used => {
            return Err(EnrollError::CodeRefused(
                "this enrollment code was already used",
            ));
        }
        EnrollOutcome::Burned => {
            return Err(EnrollError::CodeRefused(
                "this enrollment code was tried too often and no longer works",
            ));
        }
    };
    let station = stations::get(app, station).await?;
    if let Some(old) = req.replaces {
        replace(app, old, device_id, station.id).await;
    }
    let keys = app.signer.published_now().await?;
    tracing::info!(device = %device_id, station = %station.code, "edge enrolled");
    Ok(EnrollResponse {
        device_id,
        station: station_config(&station),
        keys,
        attendant_secret,
        lane_code_secrets: super::lanecodes::edge_secrets(app, &station),
    })
}
