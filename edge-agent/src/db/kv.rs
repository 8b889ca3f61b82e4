//! Small named values in the `kv` table, stored as JSON, each with the time it was last
//! written (which is how doctor knows the age of the key set).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::DbError;

/// The names in the `kv` table.
pub mod keys {
    /// `DeviceId` given at enrollment.
    pub const DEVICE_ID: &str = "device_id";
    /// The station's `StationConfig` (enrollment, then sync).
    pub const STATION: &str = "station";
    /// The token verification `TokenKeys` (enrollment, then sync).
    pub const TOKEN_KEYS: &str = "token_keys";
    /// The station's lane-code secrets, `Vec<LaneCodeSecret>` newest first (enrollment,
    /// then sync).
    pub const LANE_CODE_SECRETS: &str = "lane_code_secrets";
    /// argon2id PHC string of the attendant secret.
    pub const ATTENDANT_HASH: &str = "attendant_secret_hash";
    /// The change-log cursor to pull from next.
    pub const CURSOR: &str = "cursor";
    /// When the last pull succeeded: the edge's knowledge of the cloud was current then
    /// (the key keeps its old name; `last_sync_at` means `last_pull_at`).
    pub const LAST_SYNC_AT: &str = "last_sync_at";
    /// When the cloud last acknowledged a pushed batch.
    pub const LAST_PUSH_AT: &str = "last_push_at";
    /// Where the running agent's attendant API listens (the port actually bound, which
    /// with port 0 only the agent knows): `gasq-edge status` asks it there.
    pub const HTTP_BOUND: &str = "http_bound";
    /// Cloud clock minus ours, in milliseconds, measured at the last pull.
    pub const CLOCK_SKEW_MS: &str = "clock_skew_ms";
    /// The last walk-in ticket number handed out.
    pub const WALKIN_TICKET: &str = "walkin_ticket";
    /// The lane queue as last saved.
    pub const QUEUE: &str = "queue_snapshot";
    /// The last sync failure, for status and doctor.
    pub const LAST_SYNC_ERROR: &str = "last_sync_error";
    /// The cloud's time as last confirmed (`clock::TrustedClock`): the wall clock is
    /// not believed earlier than it.
    pub const LAST_GOOD_TIME: &str = "last_good_time";
}

/// Reads a value and when it was written.
pub fn get_with_time<T: DeserializeOwned>(
    conn: &Connection,
    key: &str,
) -> Result<Option<(T, DateTime<Utc>)>, DbError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT value, updated_at FROM kv WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((value, at)) = row else {
        return Ok(None);
    };
    let value =
        serde_json::from_str(&value).map_err(|e| DbError::Corrupt(format!("kv {key}: {e}")))?;
    let at = DateTime::parse_from_rfc3339(&at)
        .map_err(|e| DbError::Corrupt(format!("kv {key} time: {e}")))?
        .with_timezone(&Utc);
    Ok(Some((value, at)))
}

/// Reads a value.
pub fn get<T: DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>, DbError> {
    Ok(get_with_time(conn, key)?.map(|(v, _)| v))
}

/// Writes a value (inside the caller's transaction, if any).
pub fn set<T: Serialize + ?Sized>(
    conn: &Connection,
    key: &str,
    value: &T,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let json = serde_json::to_string(value).map_err(|e| DbError::Corrupt(e.to_string()))?;
    conn.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, json, now.to_rfc3339()],
    )?;
    Ok(())
}

/// Removes a value.
pub fn delete(conn: &Connection, key: &str) -> Result<(), DbError> {
    conn.execute("DELETE FROM kv WHERE key = ?1", [key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_with_their_time() {
        let conn = crate::db::memory();
        let now = Utc::now();
        set(&conn, keys::CURSOR, &42_i64, now).unwrap();
        set(&conn, keys::CURSOR, &43_i64, now).unwrap();
        let (v, at): (i64, _) = get_with_time(&conn, keys::CURSOR).unwrap().unwrap();
        assert_eq!(v, 43);
        assert_eq!(at.timestamp(), now.timestamp());
        assert_eq!(get::<i64>(&conn, "missing").unwrap(), None);
    }
}
