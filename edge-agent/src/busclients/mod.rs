//! Station-bus credentials, one per device (docs/architecture.md "Station-bus
//! security"): `gasq-edge bus-client add|list|remove` keep them in the `bus_clients`
//! table; the embedded broker checks every CONNECT against them ([`registry`]); the
//! agent verifies dispenser events with the event key each row holds.
//!
//! A username is 1–64 of `a-z 0-9 _ .` — no `-`, because a client id is the username
//! or the username, `-` and any suffix ([`client_id_allowed`]): with `-` in names,
//! device `lane` could claim the id of device `lane-2`.

pub mod events;
pub mod mosquitto;
pub mod registry;
pub mod secret;
pub mod watch;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::db::DbError;

/// What a device may do on the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A firmware bridge: scans, frames, and signed dispenser events.
    Bridge,
    /// A scanner or camera on its own: scans and frames only.
    Scanner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bridge => "bridge",
            Self::Scanner => "scanner",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "bridge" => Ok(Self::Bridge),
            "scanner" => Ok(Self::Scanner),
            other => Err(format!(
                "{other:?} is not a role: use `bridge` (dispensers, displays, scanners) or `scanner` (scans only)"
            )),
        }
    }
}

/// What is unsafe or unusable about the station-bus setup, for an operator:
/// `allow_anonymous` on, no device provisioned, or `mqtt_username` set for the embedded
/// broker (where it is ignored).
pub fn warnings(anonymous: bool, provisioned: usize, ignored_login: bool) -> Vec<String> {
    let mut out = Vec::new();
    if anonymous {
        out.push(
            "allow_anonymous is set: any client on the station LAN may use the station bus \
             and report dispenser events; remove it and provision devices with `gasq-edge bus-client add`"
                .to_owned(),
        );
    } else if provisioned == 0 {
        out.push(
            "no station-bus device is provisioned: no bridge or scanner can connect or report \
             dispenser events; run `gasq-edge bus-client add NAME`"
                .to_owned(),
        );
    }
    if ignored_login {
        out.push(
            "mqtt_username/mqtt_password apply to an external broker only and are ignored: \
             devices on the embedded broker log in with `gasq-edge bus-client add` credentials"
                .to_owned(),
        );
    }
    out
}

/// Checks a device name: 1–64 characters of `a-z 0-9 _ .`, starting with a letter or
/// digit.
pub fn check_username(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.';
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty() || name.len() > 64 || !first_ok || !name.chars().all(ok_char) {
        return Err(format!(
            "{name:?} is not a device name: use 1-64 of a-z, 0-9, _ and . (no -), e.g. lane_1"
        ));
    }
    Ok(())
}

/// Whether a device logged in as `username` may use `client_id`: the username itself,
/// or the username followed by `-` and anything (one device, several connections).
pub fn client_id_allowed(client_id: &str, username: &str) -> bool {
    match client_id.strip_prefix(username) {
        Some("") => true,
        Some(rest) => rest.starts_with('-'),
        None => false,
    }
}

/// One stored credential (no secret in it: the password is hashed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BusClient {
    pub username: String,
    pub role: Role,
    #[serde(skip)]
    pub password_sha256: String,
    #[serde(skip)]
    pub event_key: String,
    #[serde(skip)]
    pub mosquitto_hash: String,
    #[serde(skip)]
    pub event_boot: u64,
    pub created_at: DateTime<Utc>,
}

/// Why a credential could not be added or removed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Invalid(String),
    #[error("a bus client named {0:?} exists: remove it first (gasq-edge bus-client remove {0})")]
    Exists(String),
    #[error("no bus client is named {0:?} (see gasq-edge bus-client list)")]
    Unknown(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for ClientError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Stores a new credential; `Exists` if the name is taken.
pub fn insert(c: &Connection, client: &BusClient) -> Result<(), ClientError> {
    let taken: Option<String> = c
        .query_row(
            "SELECT username FROM bus_clients WHERE username = ?1",
            [&client.username],
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_some() {
        return Err(ClientError::Exists(client.username.clone()));
    }
    c.execute(
        "INSERT INTO bus_clients (username, role, password_sha256, event_key, mosquitto_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            client.username,
            client.role.as_str(),
            client.password_sha256,
            client.event_key,
            client.mosquitto_hash,
            client.created_at.to_rfc3339()
        ],
    )?;
    Ok(())
}

/// Every credential, by name.
pub fn all(c: &Connection) -> Result<Vec<BusClient>, DbError> {
    let mut stmt = c.prepare(
        "SELECT username, role, password_sha256, event_key, mosquitto_hash, event_boot, created_at
         FROM bus_clients ORDER BY username",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (username, role, password_sha256, event_key, mosquitto_hash, boot, at) = row?;
        let corrupt = |what: &str| DbError::Corrupt(format!("bus client {username}: {what}"));
        out.push(BusClient {
            role: Role::parse(&role).map_err(|e| corrupt(&e))?,
            created_at: DateTime::parse_from_rfc3339(&at)
                .map_err(|e| corrupt(&e.to_string()))?
                .with_timezone(&Utc),
            event_boot: u64::try_from(boot).unwrap_or(0),
            username,
            password_sha256,
            event_key,
            mosquitto_hash,
        });
    }
    Ok(out)
}

/// Removes a credential; `Unknown` if there was none.
pub fn delete(c: &Connection, username: &str) -> Result<(), ClientError> {
    let n = c.execute("DELETE FROM bus_clients WHERE username = ?1", [username])?;
    if n == 0 {
        return Err(ClientError::Unknown(username.to_owned()));
    }
    Ok(())
}

/// Remembers the newest event session seen from `username` (only ever raised).
pub fn raise_event_boot(c: &Connection, username: &str, boot: u64) -> Result<(), DbError> {
    let boot = i64::try_from(boot).unwrap_or(i64::MAX);
    c.execute(
        "UPDATE bus_clients SET event_boot = ?2 WHERE username = ?1 AND event_boot < ?2",
        params![username, boot],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_without_dashes_and_client_ids_bound_to_them() {
        for good in ["lane_1", "bridge", "cam.2", "9"] {
            check_username(good).unwrap();
        }
        for bad in ["", "lane-1", "Lane", "_x", "a b", "@agent", &"x".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
        assert!(client_id_allowed("lane_1", "lane_1"));
        assert!(client_id_allowed("lane_1-scanner-2", "lane_1"));
        assert!(!client_id_allowed("lane_12", "lane_1"));
        assert!(!client_id_allowed("lane_1", "lane"));
        // The agent's own link id starts with `@`, which no username can.
        assert!(!client_id_allowed(crate::broker::AGENT_LINK_ID, "gasq"));
    }

    #[test]
    fn credentials_are_stored_listed_and_removed() {
        let conn = crate::db::memory();
        let (client, _password) = secret::new_client("lane_1", Role::Scanner, Utc::now());
        insert(&conn, &client).unwrap();
        assert!(matches!(
            insert(&conn, &client),
            Err(ClientError::Exists(_))
        ));
        let listed = all(&conn).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].role, Role::Scanner);
        raise_event_boot(&conn, "lane_1", 7).unwrap();
        raise_event_boot(&conn, "lane_1", 5).unwrap();
        assert_eq!(all(&conn).unwrap()[0].event_boot, 7);
        delete(&conn, "lane_1").unwrap();
        assert!(matches!(
            delete(&conn, "lane_1"),
            Err(ClientError::Unknown(_))
        ));
    }
}
