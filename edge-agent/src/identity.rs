//! What enrollment leaves in the database: the device id, the station's config, the
//! token key set, the attendant secret's hash and the lane-code secrets. `run`, `status` and `doctor` read it
//! back; sync updates the station and keys later.

use chrono::{DateTime, Utc};
use gasq_shared::DeviceId;
use gasq_shared::keys::TokenKeys;
use gasq_shared::lanecode::LaneCodeSecret;
use gasq_shared::sync::StationConfig;
use rusqlite::Connection;

use crate::db::{Db, DbError, kv};

/// An enrolled box, as stored.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub device_id: DeviceId,
    pub station: StationConfig,
    pub keys: TokenKeys,
    /// When the key set last changed (information only: keys may rightly stay the same
    /// for months; doctor judges freshness by the last pull).
    pub keys_updated_at: DateTime<Utc>,
    pub attendant_hash: String,
    /// The keys of the 8-digit lane codes (empty for a box enrolled before they existed,
    /// until its next pull of the station).
    pub lane_code_secrets: Vec<LaneCodeSecret>,
}

/// Reads the enrollment; `None` if this data dir was never enrolled.
pub async fn load(db: &Db) -> Result<Option<Enrolled>, DbError> {
    db.call(|c| read(c)).await
}

fn read(c: &Connection) -> Result<Option<Enrolled>, DbError> {
    let Some(device_id) = kv::get::<DeviceId>(c, kv::keys::DEVICE_ID)? else {
        return Ok(None);
    };
    let missing = |what: &str| DbError::Corrupt(format!("enrolled, but the {what} is missing"));
    let station = kv::get(c, kv::keys::STATION)?.ok_or_else(|| missing("station config"))?;
    let (keys, keys_updated_at) =
        kv::get_with_time(c, kv::keys::TOKEN_KEYS)?.ok_or_else(|| missing("key set"))?;
    let attendant_hash =
        kv::get(c, kv::keys::ATTENDANT_HASH)?.ok_or_else(|| missing("attendant secret"))?;
    let lane_code_secrets = kv::get(c, kv::keys::LANE_CODE_SECRETS)?.unwrap_or_default();
    Ok(Some(Enrolled {
        device_id,
        station,
        keys,
        keys_updated_at,
        attendant_hash,
        lane_code_secrets,
    }))
}

/// Stores a new enrollment. The cached bookings and the cursor are reset (the first
/// pull is a full resync); redemptions and unsent events are kept.
pub fn store(c: &mut Connection, e: &Enrolled, now: DateTime<Utc>) -> Result<(), DbError> {
    let tx = c.transaction()?;
    kv::set(&tx, kv::keys::DEVICE_ID, &e.device_id, now)?;
    kv::set(&tx, kv::keys::STATION, &e.station, now)?;
    kv::set(&tx, kv::keys::TOKEN_KEYS, &e.keys, now)?;
    kv::set(&tx, kv::keys::ATTENDANT_HASH, &e.attendant_hash, now)?;
    kv::set(&tx, kv::keys::LANE_CODE_SECRETS, &e.lane_code_secrets, now)?;
    kv::set(&tx, kv::keys::CURSOR, &0_i64, now)?;
    kv::delete(&tx, kv::keys::LAST_SYNC_AT)?;
    kv::delete(&tx, kv::keys::LAST_PUSH_AT)?;
    kv::delete(&tx, kv::keys::LAST_SYNC_ERROR)?;
    tx.execute("DELETE FROM bookings", [])?;
    tx.execute("DELETE FROM revocations", [])?;
    tx.commit()?;
    Ok(())
}
