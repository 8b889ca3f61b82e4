//! The individual doctor checks, in the order a technician would fix things: the box
//! itself, then its ports, then the cloud, then how fresh and healthy the data is.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use chrono::Utc;

use super::freshness::{self, Saved};
use super::{Check, cloud};
use crate::broker;
use crate::config::Settings;
use crate::datadir::{self, DataDir};
use crate::db::{Db, Mode};
use crate::device;
use crate::identity::{self, Enrolled};

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
    let running = agent_running(settings.http_listen, out).await;
    ports(settings, running, out);
    bus_security(settings, &db, out).await;
    clock_floor(settings, &db, out).await;
    if key_ok {
        cloud::cloud(data, settings, &db, &enrolled, out).await;
    }
    let Ok(saved) = Saved::load(&db).await else {
        return;
    };
    freshness::key_set(&enrolled, saved.last_sync, Utc::now(), out);
    freshness::sync_and_outbox(&saved, settings.poison_attempts, Utc::now(), out);
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

/// Whether the agent answers on its HTTP port; a 503 from `/healthz` means it runs but
/// cannot hear the lanes, which is a failure of its own.
async fn agent_running(http: SocketAddr, out: &mut Vec<Check>) -> bool {
    let host = if http.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], http.port()))
    } else {
        http
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap_or_default();
    let Ok(answer) = client.get(format!("http://{host}/healthz")).send().await else {
        return false;
    };
    if answer.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
        out.push(Check::fail(
            "bus link",
            "the running agent cannot hear the lanes: its station-bus link is down",
            "check the broker (mqtt_url, and its login) and the agent's log; restart gasq-edge if it stays down",
        ));
    }
    true
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

/// The wall clock is not earlier than the last time the cloud confirmed (a box that
/// booted offline with its clock set back).
async fn clock_floor(settings: &Settings, db: &Db, out: &mut Vec<Check>) {
    let last_good: Option<chrono::DateTime<Utc>> = db
        .call(|c| crate::db::kv::get(c, crate::db::kv::keys::LAST_GOOD_TIME))
        .await
        .unwrap_or(None);
    let Some(last_good) = last_good else { return };
    let behind = (last_good - Utc::now()).num_seconds();
    let bound = i64::try_from(settings.clock_max_drift_secs).unwrap_or(i64::MAX);
    if behind > bound {
        out.push(Check::warn(
            "clock floor",
            format!(
                "this box's clock is {behind} s earlier than the last time the cloud confirmed ({last_good}); the agent judges tokens by that time instead"
            ),
            "turn on time sync: timedatectl set-ntp true (check with timedatectl status)",
        ));
    }
}

/// The station bus refuses strangers: `allow_anonymous` off and devices provisioned.
async fn bus_security(settings: &Settings, db: &Db, out: &mut Vec<Check>) {
    // An agent that never ran since the upgrade has no table yet: nobody is provisioned.
    let provisioned = db
        .call(|c| Ok(crate::busclients::all(c).map(|all| all.len()).unwrap_or(0)))
        .await
        .unwrap_or(0);
    let warnings = crate::agent::warnings(settings, provisioned);
    if warnings.is_empty() {
        let detail = format!("{provisioned} device(s) provisioned; anonymous clients are refused");
        return out.push(Check::ok("bus access", detail));
    }
    for warning in warnings {
        out.push(Check::warn(
            "bus access",
            warning,
            "see docs/edge.md \"Station-bus credentials\"",
        ));
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
