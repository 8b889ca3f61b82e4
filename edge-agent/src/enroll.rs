//! `gasq-edge enroll`: makes this box's device key, trades a one-time code for the
//! station's identity at `POST /api/v1/edge/enroll`, and stores the result in the data
//! dir — the key (mode 0600), the cloud URL (`edge.toml`), and in the database the
//! device id, station config, key set and only a hash of the attendant secret.

use chrono::Utc;
use ed25519_dalek::SigningKey;
use gasq_shared::DeviceId;
use gasq_shared::sync::{EnrollRequest, EnrollResponse};

use crate::attendant_secret::hash_secret;
use crate::config::{self, check_http_url};
use crate::datadir::DataDir;
use crate::db::{Db, DbError, Mode};
use crate::device::{self, KeyError};
use crate::identity::{self, Enrolled};
use crate::sync::client::{self, SyncError};

/// Why enrollment failed.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0} is already enrolled (device {1}); add --force to enroll it again")]
    AlreadyEnrolled(String, String),
    #[error("cannot use the data dir {0}: {1}")]
    DataDir(String, String),
    #[error("enrollment refused: {0}")]
    Cloud(String),
    #[error("the cloud's enrollment answer is unusable: {0}")]
    BadAnswer(String),
    #[error(transparent)]
    Sync(SyncError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl From<SyncError> for EnrollError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Refused { detail, .. }
            | SyncError::Auth { detail, .. }
            | SyncError::Declined { detail, .. } => Self::Cloud(detail),
            other => Self::Sync(other),
        }
    }
}

/// What was enrolled, for the technician.
#[derive(Debug)]
pub struct Enrollment {
    pub response: EnrollResponse,
}

/// Runs the enrollment: checks, the exchange with the cloud, then the data dir.
pub async fn enroll(
    data: &DataDir,
    cloud_url: &str,
    code: &str,
    force: bool,
) -> Result<Enrollment, EnrollError> {
    check_http_url(cloud_url).map_err(EnrollError::BadInput)?;
    let code = code.trim();
    if code.is_empty() {
        return Err(EnrollError::BadInput("the enrollment code is empty".into()));
    }
    let (db, previous) = open_data_dir(data, force).await?;
    let key = device::generate();
    let request = request(&key, code, previous);
    let response = client::enroll(&client::http_client(), cloud_url, &request).await?;
    let attendant_hash = check_answer(&response).await?;

    // The key first: an enrollment stored without its key would be useless.
    device::save(&data.device_key(), &key)?;
    let enrolled = Enrolled {
        device_id: response.device_id,
        station: response.station.clone(),
        keys: response.keys.clone(),
        keys_updated_at: Utc::now(),
        attendant_hash,
        lane_code_secrets: response.lane_code_secrets.clone(),
    };
    db.call(move |c| identity::store(c, &enrolled, Utc::now()))
        .await?;
    config::write_cloud_url(data.root(), cloud_url)
        .map_err(|e| EnrollError::DataDir(data.root().display().to_string(), e.to_string()))?;
    Ok(Enrollment { response })
}

/// The data dir's database, made if need be; an enrolled one only with `force`, and
/// then with the device it was enrolled as (which the cloud revokes once replaced).
async fn open_data_dir(data: &DataDir, force: bool) -> Result<(Db, Option<DeviceId>), EnrollError> {
    let root = data.root().display().to_string();
    data.create()
        .and_then(|()| data.check_writable())
        .map_err(|e| EnrollError::DataDir(root.clone(), e.to_string()))?;
    let db = Db::open(&data.db(), Mode::ReadWrite)?;
    let previous = identity::load(&db).await?.map(|e| e.device_id);
    if let Some(existing) = previous
        && !force
    {
        return Err(EnrollError::AlreadyEnrolled(root, existing.to_string()));
    }
    Ok((db, previous))
}

/// Checks the cloud's answer holds usable verification keys; returns the hash of the
/// attendant secret it carries (the only form in which the box keeps it).
async fn check_answer(response: &EnrollResponse) -> Result<String, EnrollError> {
    let keys = response
        .keys
        .key_set()
        .map_err(|e| EnrollError::BadAnswer(e.to_string()))?;
    if keys.is_empty() {
        return Err(EnrollError::BadAnswer(
            "it holds no token verification keys".into(),
        ));
    }
    let secret = response.attendant_secret.clone();
    tokio::task::spawn_blocking(move || hash_secret(&secret))
        .await
        .map_err(|e| EnrollError::BadAnswer(e.to_string()))?
        .map_err(EnrollError::BadAnswer)
}

fn request(key: &SigningKey, code: &str, replaces: Option<DeviceId>) -> EnrollRequest {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    EnrollRequest {
        code: code.to_owned(),
        public_key: device::public_key_b64(key),
        hostname,
        version: Some(env!("CARGO_PKG_VERSION").into()),
        replaces,
    }
}
