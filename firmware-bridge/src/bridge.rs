//! Starting everything a config lists: the bus, the router, and one driver per device.
//! [`launch`] returns a [`Bridge`] whose drivers run until the stop token is cancelled;
//! [`Bridge::wait`] then waits for them (and for the bus to flush).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gasq_shared::StationCode;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, DispenserProtocol};
use crate::drivers::dispenser::{self, DispenserHandle, EventPublisher};
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

/// Starts the bus and the router with `routes` (plus an authorisation channel per
/// entry of `dispensers`); shared by `run` and `simulate`.
pub fn start_bus(
    station: &StationCode,
    settings: BusSettings,
    routes: Routes,
    stop: &CancellationToken,
) -> (Bus, Arc<RouterStats>, Vec<JoinHandle<()>>) {
    let mut settings = settings;
    settings.subscriptions.push(router::subscription(station));
    let (bus, incoming, bus_task) = mqtt::start(settings, stop.clone());
    let stats = Arc::new(RouterStats::default());
    let router_task = tokio::spawn(router::run(
        station.clone(),
        routes,
        incoming,
        Arc::clone(&stats),
    ));
    (bus, stats, vec![bus_task, router_task])
}

/// Starts everything `config` lists. Must be called inside a tokio runtime.
pub fn launch(config: &Config, stop: CancellationToken) -> Result<Bridge, LaunchError> {
    let station = &config.station;
    let settings = BusSettings::from_config(&config.mqtt, format!("gasq-bridge-{station}"))
        .map_err(LaunchError::Config)?;
    let mut routes = Routes::default();
    let mut devices = Vec::new();
    let mut threads = Vec::new();
    let mut tasks = Vec::new();
    let mut stats_for = |name: String| {
        let stats = Arc::new(DeviceStats::default());
        devices.push((name, Arc::clone(&stats)));
        stats
    };

    // Outputs first: the router needs their handles before it starts.
    for (kind, list) in [("display", &config.display), ("gate", &config.gate)] {
        for (i, d) in list.iter().enumerate() {
            let stats = stats_for(format!("{kind} #{} (lane {})", i + 1, d.lane));
            let (handle, thread) = display::spawn(kind, d.clone(), stats, stop.clone())?;
            routes.displays.entry(d.lane).or_default().push(handle);
            threads.push(thread);
        }
    }
    let mut dispenser_rx = HashMap::new();
    for d in &config.dispenser {
        let (handle, rx) = DispenserHandle::channel();
        routes.dispensers.insert(d.lane, handle);
        dispenser_rx.insert(d.lane, rx);
    }
    let (bus, router, bus_tasks) = start_bus(station, settings, routes, &stop);
    tasks.extend(bus_tasks);

    for (i, d) in config.dispenser.iter().enumerate() {
        let stats = stats_for(format!("dispenser #{} (lane {})", i + 1, d.lane));
        let publisher = EventPublisher::new(station, d.lane, bus.clone());
        let Some(rx) = dispenser_rx.remove(&d.lane) else {
            continue;
        };
        match d.protocol {
            DispenserProtocol::Line => {
                threads.push(dispenser::line::spawn(
                    d,
                    publisher,
                    rx,
                    stats,
                    stop.clone(),
                )?);
            }
            DispenserProtocol::Modbus => {
                tasks.push(dispenser::modbus::spawn(
                    d.clone(),
                    publisher,
                    rx,
                    stats,
                    stop.clone(),
                ));
            }
        }
    }
    for (i, s) in config.scanner.iter().enumerate() {
        let stats = stats_for(format!("scanner #{} (lane {})", i + 1, s.lane));
        threads.push(scanner::spawn(
            s.clone(),
            station,
            bus.clone(),
            stats,
            stop.clone(),
        )?);
    }
    for (i, c) in config.camera.iter().enumerate() {
        let stats = stats_for(format!("camera #{} (lane {})", i + 1, c.lane));
        tasks.push(camera::spawn(
            c.clone(),
            station,
            bus.clone(),
            stats,
            stop.clone(),
        )?);
    }
    tasks.push(tokio::spawn(log_stats(bus.clone(), devices.clone(), stop)));
    Ok(Bridge {
        bus,
        devices,
        router,
        tasks,
        threads,
    })
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
