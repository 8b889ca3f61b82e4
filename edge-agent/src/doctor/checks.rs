//! The individual doctor checks, in the order a technician would fix things: the box
//! itself, then its ports, then the cloud, then how fresh and healthy the data is.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use chrono::Utc;

use super::Check;
use crate::config::Settings;
use crate::datadir::{self, DataDir};
use crate::db::{Db, Mode, kv};
use crate::device::{self, Device};
use crate::identity::{self, Enrolled};
use crate::sync::client::{CloudClient, Health, SyncError, http_client};
use crate::{broker, outbox};

pub async fn run_all(data: &DataDir, settings: &Settings, out: &mut Vec<Check>) {
    if !data_dir(data, out) {
        return;
    }
    let Some(db) = database(data, out).await else {
        return;
    };
    let Some(enrolled) = enrollment(&db, data, out).await else {
        return;
    };
    let key_ok = device_key(data, out);
    let running = agent_running(settings.http_listen).await;
    ports(settings, running, out);
    if key_ok {
        cloud(data, settings, &db, &enrolled, out).await;
    }
    key_set(&enrolled, out);
    freshness(&db, out).await;
}

fn data_dir(data: &DataDir, out: &mut Vec<Check>) -> bool {
    let root = data.root().display().to_string();
    if !data.root().is_dir() {
        out.push(Check::fail(
            "data dir",
            format!("{root} does not exist"),
            "enroll this box (gasq-edge enroll --cloud URL --code CODE --data-dir DIR), or pass the right --data-dir",
        ));
        return false;
    }
    match data.check_writable() {
        Ok(()) => out.push(Check::ok("data dir", format!("{root} is writable"))),
        Err(e) => out.push(Check::fail(
            "data dir",
            format!("{root} is not writable: {e}"),
            "run gasq-edge as the user that owns the data dir (see deploy/edge/gasq-edge.service)",
        )),
    }
    true
}

async fn database(data: &DataDir, out: &mut Vec<Check>) -> Option<Db> {
    let path = data.db();
    let db = match Db::open(&path, Mode::ReadOnly) {
        Ok(db) => db,
        Err(e) => {
            out.push(Check::fail(
                "database",
                format!("{}: {e}", path.display()),
                "enroll this box first; if it was enrolled, restore edge.db from backup",
            ));
            return None;
        }
    };
    let check: Result<String, _> = db
        .call(|c| Ok(c.query_row("PRAGMA quick_check", [], |r| r.get(0))?))
        .await;
    match check {
        Ok(s) if s == "ok" => out.push(Check::ok("database", "opens and passes quick_check")),
        Ok(s) => out.push(Check::fail(
            "database",
            format!("quick_check: {s}"),
            "stop gasq-edge, back up the data dir, and contact GasQ support",
        )),
        Err(e) => out.push(Check::fail(
            "database",
            e.to_string(),
            "contact GasQ support",
        )),
    }
    Some(db)
}

async fn enrollment(db: &Db, data: &DataDir, out: &mut Vec<Check>) -> Option<Enrolled> {
    match identity::load(db).await {
        Ok(Some(e)) => {
            out.push(Check::ok(
                "enrollment",
                format!(
                    "device {} for station {} ({})",
                    e.device_id, e.station.code, e.station.name
                ),
            ));
            Some(e)
        }
        Ok(None) => {
            out.push(Check::fail(
                "enrollment",
                "this box is not enrolled",
                format!(
                    "get a code from the cloud and run gasq-edge enroll --cloud URL --code CODE --data-dir {}",
                    data.root().display()
                ),
            ));
            None
        }
        Err(e) => {
            out.push(Check::fail(
                "enrollment",
                e.to_string(),
                "enroll again with --force",
            ));
            None
        }
    }
}

fn device_key(data: &DataDir, out: &mut Vec<Check>) -> bool {
    let path = data.device_key();
    if let Err(e) = device::load_key(&path) {
        out.push(Check::fail(
            "device key",
            e.to_string(),
            "enroll again with --force (a new code is needed)",
        ));
        return false;
    }
    match datadir::mode_of(&path) {
        Ok(mode) if mode & 0o077 != 0 => out.push(Check::fail(
            "device key",
            format!("{} is readable by others (mode {mode:o})", path.display()),
            format!("chmod 600 {}", path.display()),
        )),
        _ => out.push(Check::ok("device key", "present, mode 0600")),
    }
    true
}

async fn agent_running(http: SocketAddr) -> bool {
    let host = if http.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], http.port()))
    } else {
        http
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap_or_default();
    client
        .get(format!("http://{host}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

fn ports(settings: &Settings, running: bool, out: &mut Vec<Check>) {
    if running {
        out.push(Check::ok(
            "agent",
            format!("running, attendant API on {}", settings.http_listen),
        ));
    } else {
        out.push(Check::warn(
            "agent",
            format!("not answering on {}", settings.http_listen),
            "start it: systemctl start gasq-edge (or gasq-edge run --data-dir DIR)",
        ));
        port_free(
            "http port",
            settings.http_listen,
            "--http-listen / http_listen",
            out,
        );
    }
    match &settings.mqtt_url {
        Some(url) => external_broker(url, out),
        None if running => out.push(Check::ok(
            "station bus",
            format!("embedded broker on {}", settings.mqtt_listen),
        )),
        None => port_free(
            "station bus",
            settings.mqtt_listen,
            "--mqtt-listen / mqtt_listen, or mqtt_url for an external broker",
            out,
        ),
    }
    if settings.mqtt_url.is_none() {
        match broker::nodelay_supported() {
            Ok(()) => out.push(Check::ok(
                "bus latency",
                "TCP_NODELAY can be set on the broker's listener",
            )),
            Err(e) => out.push(Check::warn(
                "bus latency",
                format!(
                    "cannot set TCP_NODELAY on the broker's listener ({e}): verdicts may lag ~40 ms"
                ),
                "allow the pidfd_getfd syscall (Linux ≥ 5.6; containers: seccomp profile)",
            )),
        }
    }
}

fn port_free(what: &'static str, addr: SocketAddr, knob: &str, out: &mut Vec<Check>) {
    match TcpListener::bind(addr) {
        Ok(_) => out.push(Check::ok(what, format!("{addr} is free"))),
        Err(e) => out.push(Check::fail(
            what,
            format!("{addr} is taken: {e}"),
            format!(
                "stop the program holding it (ss -ltnp 'sport = :{}') or change {knob}",
                addr.port()
            ),
        )),
    }
}

fn external_broker(url: &str, out: &mut Vec<Check>) {
    let parsed = match crate::bus::remote::BrokerUrl::parse(url) {
        Ok(p) => p,
        Err(e) => return out.push(Check::fail("station bus", e, "correct mqtt_url")),
    };
    let target = format!("{}:{}", parsed.host, parsed.port);
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&target)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    if reachable {
        out.push(Check::ok(
            "station bus",
            format!("external broker {url} answers"),
        ));
    } else {
        out.push(Check::fail(
            "station bus",
            format!("external broker {url} does not answer"),
            "start the broker, or remove mqtt_url to use the embedded one",
        ));
    }
}

async fn cloud(data: &DataDir, settings: &Settings, db: &Db, e: &Enrolled, out: &mut Vec<Check>) {
    let Some(url) = &settings.cloud_url else {
        out.push(Check::fail(
            "cloud",
            "no cloud_url configured",
            format!("set cloud_url in {}", data.config_file().display()),
        ));
        return;
    };
    let Ok(device) = device::load_key(&data.device_key()).and_then(|k| Device::new(e.device_id, k))
    else {
        return;
    };
    let (since, health) = db
        .call(|c| {
            let cursor: i64 = kv::get(c, kv::keys::CURSOR)?.unwrap_or(0);
            Ok((cursor, Health::from(&outbox::stats(c)?)))
        })
        .await
        .unwrap_or_default();
    let client = CloudClient::new(http_client(), url, device);
    let sent = Utc::now();
    match client.changes(since, &health).await {
        Ok(page) => {
            out.push(Check::ok(
                "cloud",
                format!("{url} answers and accepts this device"),
            ));
            let received = Utc::now();
            let skew = (page.server_time - (sent + (received - sent) / 2)).num_seconds();
            clock(skew, settings.clock_skew_tolerance_secs, out);
        }
        Err(err) => out.push(cloud_failure(url, &err, data)),
    }
}

fn cloud_failure(url: &str, err: &SyncError, data: &DataDir) -> Check {
    let fix = match err {
        SyncError::Network { .. } => format!(
            "check the uplink (ping, DNS) and cloud_url in {}",
            data.config_file().display()
        ),
        SyncError::Auth { .. } => "this device is not (or no longer) accepted: get a new code and run gasq-edge enroll --force".into(),
        SyncError::Server { .. } => "the cloud is failing: retry later, tell GasQ operations if it lasts".into(),
        _ => format!("check that {url} is the GasQ cloud and versions match"),
    };
    Check::fail("cloud", err.to_string(), fix)
}

fn clock(skew_secs: i64, tolerance: u64, out: &mut Vec<Check>) {
    let tolerance = i64::try_from(tolerance).unwrap_or(i64::MAX);
    let detail = format!(
        "this box is {}s {} the cloud",
        skew_secs.abs(),
        if skew_secs > 0 { "behind" } else { "ahead of" }
    );
    let fix = "turn on time sync: timedatectl set-ntp true (check with timedatectl status)";
    if skew_secs.abs() > tolerance {
        out.push(Check::fail("clock", detail, fix));
    } else if skew_secs.abs() > tolerance / 2 {
        out.push(Check::warn("clock", detail, fix));
    } else {
        out.push(Check::ok("clock", detail));
    }
}

fn key_set(e: &Enrolled, out: &mut Vec<Check>) {
    let days = (Utc::now() - e.keys_updated_at).num_days();
    let detail = format!(
        "{} key(s), last changed {days} day(s) ago",
        e.keys.keys.len()
    );
    if e.keys.keys.is_empty() {
        out.push(Check::fail(
            "key set",
            detail,
            "let the box sync; if it stays empty, enroll again",
        ));
    } else if days > 90 {
        out.push(Check::warn(
            "key set",
            detail,
            "keys rotate: make sure this box syncs (see last sync)",
        ));
    } else {
        out.push(Check::ok("key set", detail));
    }
}

async fn freshness(db: &Db, out: &mut Vec<Check>) {
    let found = db
        .call(|c| {
            let last: Option<chrono::DateTime<Utc>> = kv::get(c, kv::keys::LAST_SYNC_AT)?;
            let error: Option<String> = kv::get(c, kv::keys::LAST_SYNC_ERROR)?;
            Ok((last, error, outbox::stats(c)?))
        })
        .await;
    let Ok((last, error, stats)) = found else {
        return;
    };
    let why = error
        .map(|e| format!(" (last error: {e})"))
        .unwrap_or_default();
    let fix = "see the cloud check above; the agent retries by itself once the cloud answers";
    match last.map(|t| (Utc::now() - t).num_minutes()) {
        None => out.push(Check::warn("last sync", format!("never{why}"), fix)),
        Some(m) if m > 24 * 60 => out.push(Check::fail(
            "last sync",
            format!("{} h ago{why}", m / 60),
            fix,
        )),
        Some(m) if m > 60 => out.push(Check::warn("last sync", format!("{m} min ago{why}"), fix)),
        Some(m) => out.push(Check::ok("last sync", format!("{m} min ago"))),
    }
    let age_h = stats
        .oldest_unsent_at
        .map(|t| (Utc::now() - t).num_hours())
        .unwrap_or(0);
    let detail = format!("{} event(s) waiting, oldest {age_h} h", stats.depth);
    match age_h {
        h if h >= 24 => out.push(Check::fail("outbox", detail, fix)),
        h if h >= 1 => out.push(Check::warn("outbox", detail, fix)),
        _ => out.push(Check::ok("outbox", detail)),
    }
    if stats.quarantined > 0 {
        out.push(Check::warn(
            "quarantine",
            format!("{} event(s) the cloud refused for good", stats.quarantined),
            "list them with: sqlite3 edge.db 'SELECT seq, reason, body FROM quarantine' and send them to GasQ support",
        ));
    }
}
