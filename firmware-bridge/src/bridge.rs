//! Starting everything a config lists: the bus, the router, and one driver per device.
//! [`launch`] returns a [`Bridge`] whose drivers run until the stop token is cancelled;
//! [`Bridge::wait`] then waits for them (and for the bus to flush).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gasq_shared::StationCode;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{BrokerAddress, Config, ConfigError, DispenserProtocol, MqttConfig};
use crate::drivers::dispenser::{self, Authorization, DispenserHandle, EventPublisher};
use crate::drivers::{camera, display, scanner};
use crate::mqtt::{self, Bus, BusSettings};
use crate::router::{self, RouterStats, Routes};
use crate::stats::{DeviceCounts, DeviceStats};

/// How often the counters are logged.
const STATS_EVERY: Duration = Duration::from_secs(300);

/// Why the bridge could not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{0}")]
    Config(String),
    #[error("cannot start a device thread: {0}")]
    Thread(#[from] std::io::Error),
    #[error("cannot set up the HTTP client for cameras: {0}")]
    Http(#[from] reqwest::Error),
}

/// A running bridge.
#[derive(Debug)]
pub struct Bridge {
    bus: Bus,
    devices: Vec<(String, Arc<DeviceStats>)>,
    router: Arc<RouterStats>,
    tasks: Vec<JoinHandle<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Bridge {
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    pub fn router_stats(&self) -> &RouterStats {
        &self.router
    }

    /// Counters per device, named like the config (`scanner #1 (lane 1)`).
    pub fn device_counts(&self) -> Vec<(String, DeviceCounts)> {
        self.devices
            .iter()
            .map(|(name, s)| (name.clone(), s.snapshot()))
            .collect()
    }

    /// Waits for every driver to finish (after the stop token was cancelled).
    pub async fn wait(self) {
        for task in self.tasks {
            let _ = task.await;
        }
        let threads = self.threads;
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
    }
}

/// The bus settings for `[mqtt]` (already validated), connecting as `mqtt.client_id`
/// or else `default_client_id` — after the username and `-` when there is one, since
/// the edge's broker binds client ids to usernames.
pub fn bus_settings(
    mqtt: &MqttConfig,
    default_client_id: String,
) -> Result<BusSettings, ConfigError> {
    let address = BrokerAddress::parse(&mqtt.url).map_err(|e| ConfigError::new("mqtt.url", e))?;
    let verdict_key = mqtt
        .verdict_key
        .as_deref()
        .map(gasq_shared::bussig::parse_key)
        .transpose()
        .map_err(|e| ConfigError::new("mqtt.verdict_key", e))?;
    let default_client_id = match &mqtt.username {
        Some(user) => format!("{user}-{default_client_id}"),
        None => default_client_id,
    };
    Ok(BusSettings {
        host: address.host,
        port: address.port,
        verdict_key,
        verdict_max_age: mqtt.verdict_max_age.get(),
        client_id: mqtt.client_id.clone().unwrap_or(default_client_id),
        credentials: mqtt.username.clone().map(|user| {
            let password = mqtt.password.as_ref().map(|p| p.expose().to_owned());
            (user, password.unwrap_or_default())
        }),
        buffer: mqtt.buffer,
        keep_alive: mqtt.keep_alive.get(),
        reconnect_min: mqtt.reconnect_min.get(),
        reconnect_max: mqtt.reconnect_max.get(),
        scan_ttl: mqtt.scan_ttl.get(),
        subscriptions: Vec::new(),
    })
}

/// Starts the bus and the router, which hands verdicts to `routes` (displays, gates,
/// dispensers and observers); shared by `run` and `simulate`. Returns the bus, the
/// router's counters and both tasks (they end after `stop`).
pub fn start_bus(
    station: &StationCode,
    settings: BusSettings,
    routes: Routes,
    stop: &CancellationToken,
) -> (Bus, Arc<RouterStats>, Vec<JoinHandle<()>>) {
    let mut settings = settings;
    settings.subscriptions.push(router::subscription(station));
    let guard = router::VerdictGuard::new(settings.verdict_key, settings.verdict_max_age);
    let (bus, incoming, bus_task) = mqtt::start(settings, stop.clone());
    let stats = Arc::new(RouterStats::default());
    let router_task = tokio::spawn(router::run(
        station.clone(),
        routes,
        incoming,
        Arc::clone(&stats),
        guard,
    ));
    (bus, stats, vec![bus_task, router_task])
}

/// What [`launch`] gathers while it starts the devices.
#[derive(Default)]
struct Started {
    devices: Vec<(String, Arc<DeviceStats>)>,
    tasks: Vec<JoinHandle<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Started {
    /// Fresh counters for the device called `name`.
    fn stats_for(&mut self, name: String) -> Arc<DeviceStats> {
        let stats = Arc::new(DeviceStats::default());
        self.devices.push((name, Arc::clone(&stats)));
        stats
    }
}

/// Starts everything `config` lists. Must be called inside a tokio runtime.
pub fn launch(config: &Config, stop: CancellationToken) -> Result<Bridge, LaunchError> {
    let station = &config.station;
    let settings = bus_settings(&config.mqtt, format!("gasq-bridge-{station}"))
        .map_err(|e| LaunchError::Config(e.to_string()))?;
    let mut started = Started::default();
    // Outputs first: the router needs their handles before it starts.
    let mut routes = Routes::default();
    start_displays(config, &mut routes, &mut started, &stop)?;
    let mut authorisations = HashMap::new();
    for d in &config.dispenser {
        let (handle, rx) = DispenserHandle::channel();
        routes.dispensers.insert(d.lane, handle);
        authorisations.insert(d.lane, rx);
    }
    let (bus, router, bus_tasks) = start_bus(station, settings, routes, &stop);
    started.tasks.extend(bus_tasks);
    start_dispensers(config, &bus, authorisations, &mut started, &stop)?;
    start_inputs(config, &bus, &mut started, &stop)?;
    let Started {
        devices,
        mut tasks,
        threads,
    } = started;
    tasks.push(tokio::spawn(log_stats(bus.clone(), devices.clone(), stop)));
    Ok(Bridge {
        bus,
        devices,
        router,
        tasks,
        threads,
    })
}

/// Lane displays and gates: a thread each, and their handles in `routes`.
fn start_displays(
    config: &Config,
    routes: &mut Routes,
    started: &mut Started,
    stop: &CancellationToken,
) -> Result<(), LaunchError> {
    for (kind, list) in [("display", &config.display), ("gate", &config.gate)] {
        for (i, d) in list.iter().enumerate() {
            let stats = started.stats_for(format!("{kind} #{} (lane {})", i + 1, d.lane));
            let (handle, thread) = display::spawn(kind, d.clone(), stats, stop.clone())?;
            routes.displays.entry(d.lane).or_default().push(handle);
            started.threads.push(thread);
        }
    }
    Ok(())
}

/// Dispensers, each taking the authorisations the router sends to its lane.
fn start_dispensers(
    config: &Config,
    bus: &Bus,
    mut authorisations: HashMap<u16, mpsc::UnboundedReceiver<Authorization>>,
    started: &mut Started,
    stop: &CancellationToken,
) -> Result<(), LaunchError> {
    for (i, d) in config.dispenser.iter().enumerate() {
        let stats = started.stats_for(format!("dispenser #{} (lane {})", i + 1, d.lane));
        let publisher = EventPublisher::new(&config.station, d.lane, bus.clone());
        let Some(rx) = authorisations.remove(&d.lane) else {
            continue;
        };
        match d.protocol {
            DispenserProtocol::Line => started.threads.push(dispenser::line::spawn(
                d,
                publisher,
                rx,
                stats,
                stop.clone(),
            )?),
            DispenserProtocol::Modbus => started.tasks.push(dispenser::modbus::spawn(
                d.clone(),
                publisher,
                rx,
                stats,
                stop.clone(),
            )),
        }
    }
    Ok(())
}

/// Scanners (a thread each) and cameras (a task each), publishing scans and frames.
fn start_inputs(
    config: &Config,
    bus: &Bus,
    started: &mut Started,
    stop: &CancellationToken,
) -> Result<(), LaunchError> {
    let station = &config.station;
    for (i, s) in config.scanner.iter().enumerate() {
        let stats = started.stats_for(format!("scanner #{} (lane {})", i + 1, s.lane));
        let thread = scanner::spawn(s.clone(), station, bus.clone(), stats, stop.clone())?;
        started.threads.push(thread);
    }
    for (i, c) in config.camera.iter().enumerate() {
        let stats = started.stats_for(format!("camera #{} (lane {})", i + 1, c.lane));
        let task = camera::spawn(c.clone(), station, bus.clone(), stats, stop.clone())?;
        started.tasks.push(task);
    }
    Ok(())
}

async fn log_stats(bus: Bus, devices: Vec<(String, Arc<DeviceStats>)>, stop: CancellationToken) {
    let mut ticker = tokio::time::interval(STATS_EVERY);
    ticker.tick().await;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let b = bus.stats();
        tracing::info!(
            connected = b.connected,
            acked = b.outbox.acked,
            queued = b.outbox.queued,
            dropped = b.outbox.dropped,
            expired = b.outbox.expired,
            reconnects = b.reconnects,
            "bus counters"
        );
        for (name, stats) in &devices {
            let c = stats.snapshot();
            tracing::info!(device = %name, counters = ?c, "device counters");
        }
    }
}
