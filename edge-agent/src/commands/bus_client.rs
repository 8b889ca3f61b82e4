//! `gasq-edge bus-client add|list|remove|mosquitto`: the station-bus credentials, one
//! per device (docs/edge.md "Station-bus credentials"). `add` prints one JSON line —
//! `{"username","password","role","verdict_key","kid"}` — the password only this once.
//! A running agent picks changes up within a second; a removed device is cut off.

use chrono::Utc;
use serde::Serialize;

use crate::busclients::{self, BusClient, Role, mosquitto, secret};
use crate::buskey::BusKey;
use crate::config::{FlagOverrides, Settings};
use crate::datadir::DataDir;
use crate::db::{Db, Mode};
use crate::identity;

/// What `add` prints.
#[derive(Debug, Serialize)]
struct Issued<'a> {
    username: &'a str,
    password: &'a str,
    role: Role,
    /// The public key bridges verify verdicts with (`[mqtt] verdict_key`).
    verdict_key: String,
    kid: &'a str,
}

/// Opens the enrolled data dir's database (creating the table if this gasq-edge is
/// newer than the data).
async fn open(data: &DataDir) -> Result<Db, String> {
    if !data.db().exists() {
        return Err(format!(
            "{} is not enrolled: run `gasq-edge enroll --cloud URL --code CODE --data-dir {}` first",
            data.root().display(),
            data.root().display()
        ));
    }
    Db::open(&data.db(), Mode::ReadWrite).map_err(|e| e.to_string())
}

pub async fn add(data: &DataDir, name: &str, role: &str) -> Result<(), String> {
    busclients::check_username(name)?;
    let role = Role::parse(role)?;
    let db = open(data).await?;
    let key = BusKey::load_or_create(data).map_err(|e| e.to_string())?;
    let (client, password) = secret::new_client(name, role, Utc::now());
    db.call(move |c| Ok(busclients::insert(c, &client)))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let issued = Issued {
        username: name,
        password: &password,
        role,
        verdict_key: gasq_shared::bussig::encode_key(&key.public()),
        kid: key.kid(),
    };
    println!(
        "{}",
        serde_json::to_string(&issued).map_err(|e| e.to_string())?
    );
    Ok(())
}

async fn all(data: &DataDir) -> Result<Vec<BusClient>, String> {
    let db = open(data).await?;
    db.call(|c| busclients::all(c))
        .await
        .map_err(|e| e.to_string())
}

pub async fn list(data: &DataDir, json: bool) -> Result<(), String> {
    let clients = all(data).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&clients).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    if clients.is_empty() {
        println!("No station-bus devices; add one with `gasq-edge bus-client add NAME`.");
    }
    for c in &clients {
        let at = c.created_at.format("%Y-%m-%d %H:%M UTC");
        println!("{:<24} {:<8} added {at}", c.username, c.role.as_str());
    }
    Ok(())
}

pub async fn remove(data: &DataDir, name: &str) -> Result<(), String> {
    let db = open(data).await?;
    let owned = name.to_owned();
    db.call(move |c| Ok(busclients::delete(c, &owned)))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    println!("Removed {name}; a running agent cuts its connections off within a second.");
    Ok(())
}

/// Writes Mosquitto's password and ACL files (and a config snippet) into `out`.
pub async fn mosquitto(data: &DataDir, out: &std::path::Path) -> Result<(), String> {
    let settings =
        Settings::load(data.root(), &FlagOverrides::default()).map_err(|e| e.to_string())?;
    let db = open(data).await?;
    let enrolled = identity::load(&db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{} is not enrolled", data.root().display()))?;
    let clients = db
        .call(|c| busclients::all(c))
        .await
        .map_err(|e| e.to_string())?;
    let password = settings
        .mqtt_password
        .as_ref()
        .map(|p| p.expose().to_owned());
    let agent = settings.mqtt_username.as_deref().zip(password.as_deref());
    if agent.is_none() {
        eprintln!(
            "note: set mqtt_username/mqtt_password in edge.toml for the agent's own login, then run this again"
        );
    }
    let written = mosquitto::write(out, &enrolled.station.code, &clients, agent)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}
