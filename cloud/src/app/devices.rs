//! A station's edge boxes over their life: listed with how fresh each is, and revoked
//! when a box is replaced, lost or switched off — by the station's admins and
//! technicians, super admins, or the CLI; always audited. A revoked box gets 401
//! `device_revoked` on every edge route (`auth::device`).

use chrono::{DateTime, Utc};
use gasq_shared::{DeviceId, StationId};
use serde::Serialize;
use utoipa::ToSchema;

use super::App;
use super::access::{self, AccessError};
use super::stations::{self, StationError};
use crate::domain::{Actor, AuditEntry};
use crate::store::{Device, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no edge device {0}")]
    NotFound(DeviceId),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Station(#[from] StationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, DeviceError>;

/// An edge box as its station's staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: DeviceId,
    pub station_id: StationId,
    /// The host name the box gave when it enrolled.
    pub name: Option<String>,
    /// Its gasq-edge version at enrollment.
    pub version: Option<String>,
    pub enrolled_at: DateTime<Utc>,
    /// Its last pull: what it knows of the cloud is as of then.
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_push_at: Option<DateTime<Utc>>,
    /// `null` while it may sync; when it was revoked otherwise.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> Self {
        Self {
            id: d.id,
            station_id: d.station_id,
            name: d.hostname,
            version: d.version,
            enrolled_at: d.enrolled_at,
            last_pull_at: d.last_pull_at,
            last_push_at: d.last_push_at,
            revoked_at: d.revoked_at,
        }
    }
}

/// The station's boxes, oldest first, for someone who works there.
pub async fn list(app: &App, actor: &Actor, station: StationId) -> Result<Vec<DeviceView>> {
    access::require_station(app, actor, station).await?;
    list_as_system(app, station).await
}

/// The station's boxes (`gasq-cloud device list`).
pub async fn list_as_system(app: &App, station: StationId) -> Result<Vec<DeviceView>> {
    stations::get(app, station).await?;
    let devices = app.store.devices_for_station(station).await?;
    Ok(devices.into_iter().map(DeviceView::from).collect())
}

/// Revokes `device` as someone who works at its station. Revoking a revoked box
/// changes nothing and says when it was revoked.
pub async fn revoke(app: &App, actor: &Actor, device: DeviceId) -> Result<DeviceView> {
    let found = find(app, device).await?;
    access::require_station(app, actor, found.station_id).await?;
    let entry = actor.audit(
        "edge.device_revoke",
        format!("device:{device}"),
        serde_json::json!({ "station_id": found.station_id }),
    );
    revoke_with(app, found, entry).await
}

/// Revokes `device` for the system (`gasq-cloud device revoke`, a box re-enrolled in
/// its place), saying `why` in the audit log.
pub async fn revoke_as_system(app: &App, device: DeviceId, why: &str) -> Result<DeviceView> {
    let found = find(app, device).await?;
    let entry = AuditEntry {
        action: "edge.device_revoke".into(),
        target: format!("device:{device}"),
        detail: serde_json::json!({ "station_id": found.station_id, "reason": why }),
        ..AuditEntry::default()
    };
    revoke_with(app, found, entry).await
}

async fn find(app: &App, device: DeviceId) -> Result<Device> {
    app.store
        .device(device)
        .await?
        .ok_or(DeviceError::NotFound(device))
}

async fn revoke_with(app: &App, device: Device, entry: AuditEntry) -> Result<DeviceView> {
    let id = device.id;
    let revoked = app
        .store
        .revoke_device((id, device.station_id), Utc::now(), entry);
    if revoked.await? {
        tracing::info!(device = %id, station = %device.station_id, "edge device revoked");
    }
    Ok(find(app, id).await?.into())
}
