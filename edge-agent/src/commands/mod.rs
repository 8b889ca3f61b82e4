//! What each CLI command does, with its output for people. Errors come back as one
//! line of text for `cli` to print.

pub mod bus_client;

use std::time::Duration;

use chrono::Utc;

use crate::agent;
use crate::config::{FlagOverrides, Settings};
use crate::datadir::DataDir;
use crate::db::{Db, Mode, kv};
use crate::queue::Queue;
use crate::state::{BusAddress, Listening};
use crate::status::StatusReport;
use crate::{doctor, enroll, identity, outbox};

pub async fn enroll(data: &DataDir, cloud: &str, code: &str, force: bool) -> Result<(), String> {
    let done = enroll::enroll(data, cloud, code, force)
        .await
        .map_err(|e| e.to_string())?;
    let r = &done.response;
    println!(
        "Enrolled device {} for station {} \"{}\" (id {}, {} lane(s)).",
        r.device_id, r.station.code, r.station.name, r.station.station_id, r.station.policy.lanes
    );
    println!("Attendant secret (shown only now; give it to the station's attendants):");
    println!("    {}", r.attendant_secret);
    println!(
        "Next: gasq-edge run --data-dir {}   (or: systemctl enable --now gasq-edge)",
        data.root().display()
    );
    Ok(())
}

pub async fn run(settings: Settings, data: DataDir) -> Result<(), String> {
    let ready = |l: &Listening| {
        // IMPORTANT: operators, scripts and tests read these lines to learn the ports
        // (with port 0 they are the ones the system picked): docs/edge.md "What `run`
        // prints".
        match &l.bus {
            BusAddress::Embedded(addr) => println!("station bus (MQTT) listening on {addr}"),
            BusAddress::External(at) => println!("station bus (MQTT) on the external broker {at}"),
        }
        println!("attendant API (HTTP) listening on {}", l.http);
    };
    agent::run(settings, data, shutdown_signal(), ready)
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

pub async fn doctor(data: &DataDir) -> Result<(), String> {
    let settings = Settings::load(data.root(), &FlagOverrides::default());
    let report = doctor::run(data, settings).await;
    print!("{}", report.render(data));
    if report.failed() {
        return Err("doctor found problems (see above)".into());
    }
    Ok(())
}

pub async fn outbox_retry(data: &DataDir) -> Result<(), String> {
    let db = Db::open(&data.db(), Mode::ReadWrite)
        .map_err(|e| format!("{}: {e} (is this box enrolled?)", data.db().display()))?;
    let moved = db
        .call(outbox::requeue_quarantined)
        .await
        .map_err(|e| e.to_string())?;
    let within = Settings::load(data.root(), &FlagOverrides::default())
        .unwrap_or_default()
        .pull_interval_secs;
    println!(
        "{moved} quarantined event(s) back in the outbox; a running agent sends them within {within} s (gasq-edge status shows the outbox)"
    );
    Ok(())
}

pub async fn status(data: &DataDir, json: bool) -> Result<(), String> {
    let settings =
        Settings::load(data.root(), &FlagOverrides::default()).map_err(|e| e.to_string())?;
    let (report, running) = match from_agent(data, &settings).await {
        Some(report) => (report, true),
        None => (from_data_dir(data, &settings).await?, false),
    };
    if json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", render(&report, running));
    }
    Ok(())
}

/// The running agent's report: asked where it last said it listens (the bound port, as
/// with `--http-listen 127.0.0.1:0`), else at the configured address.
async fn from_agent(data: &DataDir, settings: &Settings) -> Option<StatusReport> {
    let noted = match Db::open(&data.db(), Mode::ReadOnly) {
        Ok(db) => db
            .call(|c| kv::get::<std::net::SocketAddr>(c, kv::keys::HTTP_BOUND))
            .await
            .unwrap_or(None),
        Err(_) => None,
    };
    for addr in noted.into_iter().chain([settings.http_listen]) {
        if let Some(report) = ask_agent(addr).await {
            return Some(report);
        }
    }
    None
}

async fn ask_agent(mut addr: std::net::SocketAddr) -> Option<StatusReport> {
    if addr.ip().is_unspecified() {
        addr.set_ip([127, 0, 0, 1].into());
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .ok()?;
    let response = client
        .get(format!("http://{addr}/status"))
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

/// The status as the data dir tells it while the agent is not running.
async fn from_data_dir(data: &DataDir, settings: &Settings) -> Result<StatusReport, String> {
    let db = Db::open(&data.db(), Mode::ReadOnly)
        .map_err(|e| format!("{}: {e} (is this box enrolled?)", data.db().display()))?;
    let enrolled = identity::load(&db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{} is not enrolled", data.root().display()))?;
    let (stats, sync, queue) = db
        .call(|c| {
            let queue: Option<Queue> = kv::get(c, kv::keys::QUEUE).unwrap_or(None);
            Ok((
                outbox::stats(c)?,
                (
                    kv::get(c, kv::keys::LAST_SYNC_AT)?,
                    kv::get(c, kv::keys::LAST_SYNC_ERROR)?,
                    kv::get(c, kv::keys::CLOCK_SKEW_MS)?,
                    kv::get(c, kv::keys::LAST_PUSH_AT)?,
                ),
                queue,
            ))
        })
        .await
        .map_err(|e| e.to_string())?;
    let now = Utc::now();
    let station = enrolled.station;
    let queue =
        queue.unwrap_or_else(|| Queue::new(station.policy.lanes, station.policy.service_minutes));
    Ok(StatusReport {
        station: station.code.to_string(),
        station_id: station.station_id,
        station_name: station.name,
        device_id: enrolled.device_id,
        version: env!("CARGO_PKG_VERSION").into(),
        online_to_cloud: false,
        last_pull_at: sync.0,
        last_push_at: sync.3,
        last_sync_at: sync.0,
        last_sync_error: sync.1,
        clock_skew_ms: sync.2,
        outbox_depth: stats.depth,
        oldest_unsent_at: stats.oldest_unsent_at,
        oldest_unsent_age_secs: stats.oldest_unsent_at.map(|t| (now - t).num_seconds()),
        quarantined: stats.quarantined,
        lanes: queue.snapshot(now).lanes,
        mqtt: settings
            .mqtt_url
            .clone()
            .unwrap_or_else(|| format!("mqtt://{}", settings.mqtt_listen)),
        http: Some(settings.http_listen),
        counters: None,
        bus_link_up: None,
        warnings: crate::agent::warnings(settings, 0)
            .into_iter()
            .filter(|w| !w.starts_with("no station-bus device"))
            .collect(),
        clock: None,
    })
}

fn render(r: &StatusReport, running: bool) -> String {
    let ago = |t: Option<chrono::DateTime<Utc>>| match t {
        Some(t) => format!(
            "{} ({} s ago)",
            t.format("%Y-%m-%d %H:%M:%S UTC"),
            (Utc::now() - t).num_seconds()
        ),
        None => "never".into(),
    };
    let mut out = format!(
        "station   {} \"{}\" (id {})\n",
        r.station, r.station_name, r.station_id
    );
    out += &format!("device    {} (gasq-edge {})\n", r.device_id, r.version);
    out += &format!(
        "agent     {}\n",
        if running { "running" } else { "not running" }
    );
    out += &format!(
        "cloud     {}; last pull {}; last push {}\n",
        if r.online_to_cloud {
            "online"
        } else {
            "offline"
        },
        ago(r.last_pull_at),
        ago(r.last_push_at)
    );
    if let Some(e) = &r.last_sync_error {
        out += &format!("          last error: {e}\n");
    }
    out += &format!(
        "outbox    {} event(s) waiting, oldest {}; {} quarantined\n",
        r.outbox_depth,
        ago(r.oldest_unsent_at),
        r.quarantined
    );
    for lane in &r.lanes {
        out += &format!(
            "lane {:<4} {}, {} waiting, ~{:.0} min\n",
            lane.lane,
            if lane.up { "up" } else { "DOWN" },
            lane.waiting,
            lane.expected_wait_minutes
        );
    }
    out += &format!("bus       {}\n", r.mqtt);
    for warning in &r.warnings {
        out += &format!("WARNING   {warning}\n");
    }
    if let Some(http) = r.http {
        out += &format!("api       http://{http}\n");
    }
    out
}
