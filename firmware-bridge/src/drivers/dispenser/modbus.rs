//! The Modbus RTU dispenser driver (tokio-modbus over a [`SerialPipe`], so the port is
//! still served by its own thread). It polls the status registers of the configured
//! register map, turns changes into events ([`ModbusTracker`]), and writes the
//! authorised quantity and the authorise command.
//!
//! Any failure (timeout, I/O, exception) ends the session: the port is closed and
//! reopened with backoff, because after a timeout a late answer could otherwise be
//! taken for the answer to the next request. Three failures in a row publish a `fault`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use tokio_modbus::client::{Context, Reader, Writer};
use tokio_modbus::{ExceptionCode, Slave};
use tokio_util::sync::CancellationToken;

use super::tracker::{ModbusTracker, Reading};
use super::{Authorization, EventPublisher};
use crate::backoff::Backoff;
use crate::config::{DispenserConfig, ReadFunction, RegisterMap};
use crate::serial::pipe::SerialPipe;
use crate::stats::DeviceStats;

/// Failures in a row before the dispenser counts as not responding.
const MAX_FAILURES: u32 = 3;

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("modbus: {0}")]
    Modbus(#[from] tokio_modbus::Error),
    #[error("modbus exception {0:?} (check the register map)")]
    Exception(ExceptionCode),
}

/// Starts a Modbus dispenser's task.
pub fn spawn(
    config: DispenserConfig,
    publisher: EventPublisher,
    rx: UnboundedReceiver<Authorization>,
    stats: Arc<DeviceStats>,
    stop: CancellationToken,
) -> JoinHandle<()> {
    let tracker = ModbusTracker::new(
        config.status_codes,
        config.registers.kg_scale,
        config.progress_interval.get(),
    );
    let driver = ModbusDriver {
        label: format!("dispenser lane {} ({})", config.lane, config.port.display()),
        config,
        publisher,
        rx,
        stats,
        tracker,
        unsent: None,
    };
    tokio::spawn(driver.run(stop))
}

struct ModbusDriver {
    config: DispenserConfig,
    label: String,
    publisher: EventPublisher,
    rx: UnboundedReceiver<Authorization>,
    stats: Arc<DeviceStats>,
    tracker: ModbusTracker,
    /// An authorisation whose write failed: retried after the reconnect while fresh.
    unsent: Option<Authorization>,
}

impl ModbusDriver {
    async fn run(mut self, stop: CancellationToken) {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
        let mut failures = 0u32;
        while !stop.is_cancelled() {
            let settings = self.config.serial();
            let label = self.label.clone();
            let opened =
                tokio::task::spawn_blocking(move || SerialPipe::open(&settings, &label)).await;
            let why = match opened {
                Ok(Ok(pipe)) => {
                    DeviceStats::bump(&self.stats.opened);
                    let mut ctx =
                        tokio_modbus::client::rtu::attach_slave(pipe, Slave(self.config.unit));
                    match self
                        .session(&mut ctx, &stop, &mut failures, &mut backoff)
                        .await
                    {
                        Ok(()) => return,
                        Err(e) => {
                            DeviceStats::bump(&self.stats.lost);
                            e.to_string()
                        }
                    }
                }
                Ok(Err(e)) => format!("cannot open serial port: {e}"),
                Err(e) => format!("cannot open serial port: {e}"),
            };
            failures += 1;
            if failures == 1 || failures.is_multiple_of(30) {
                tracing::warn!(device = %self.label, error = %why, "dispenser unavailable; retrying");
            }
            let unreachable = (failures >= MAX_FAILURES)
                .then(|| {
                    self.tracker
                        .unreachable(&format!("dispenser not responding: {why}"))
                })
                .flatten();
            if let Some(fault) = unreachable {
                self.publish(fault);
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(backoff.next_wait()) => {}
            }
        }
    }

    async fn session(
        &mut self,
        ctx: &mut Context,
        stop: &CancellationToken,
        failures: &mut u32,
        backoff: &mut Backoff,
    ) -> Result<(), Failure> {
        if let Some(auth) = self.unsent.take() {
            self.authorise(ctx, auth).await?;
        }
        let mut ticker = tokio::time::interval(self.config.poll_interval.get());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return Ok(()),
                auth = self.rx.recv() => match auth {
                    Some(auth) => self.authorise(ctx, auth).await?,
                    None => return Ok(()),
                },
                _ = ticker.tick() => {
                    let reading = self.read(ctx).await?;
                    *failures = 0;
                    backoff.reset();
                    for event in self.tracker.reading(reading, Instant::now()) {
                        self.publish(event);
                    }
                }
            }
        }
    }

    async fn authorise(&mut self, ctx: &mut Context, auth: Authorization) -> Result<(), Failure> {
        if !auth.is_fresh(self.config.auth_timeout.get()) {
            // It queued while the dispenser was away; the driver has moved on.
            DeviceStats::bump(&self.stats.write_dropped);
            tracing::warn!(device = %self.label, booking = ?auth.booking_id, "authorisation not sent: the dispenser was away too long");
            return Ok(());
        }
        let map = &self.config.registers;
        let units = auth.quantity_kg.map_or(0, |kg| {
            (kg * f64::from(map.kg_scale))
                .round()
                .clamp(0.0, f64::from(u32::MAX)) as u32
        });
        let words = [(units >> 16) as u16, units as u16];
        let timeout = self.config.timeout.get();
        let (quantity_at, command_at) = (map.auth_quantity, map.auth_command);
        let result = async {
            call(timeout, ctx.write_multiple_registers(quantity_at, &words)).await?;
            call(timeout, ctx.write_single_register(command_at, 1)).await
        }
        .await;
        if let Err(e) = result {
            self.unsent = Some(auth);
            return Err(e);
        }
        DeviceStats::bump(&self.stats.written);
        tracing::info!(device = %self.label, booking = ?auth.booking_id, kg = ?auth.quantity_kg, "dispenser authorised");
        self.tracker.authorised(auth.booking_id);
        Ok(())
    }

    async fn read(&mut self, ctx: &mut Context) -> Result<Reading, Failure> {
        let map = self.config.registers.clone();
        let timeout = self.config.timeout.get();
        let (start, count) = span(&map);
        let reading = if count <= 125 {
            let words = read_words(ctx, map.read, start, count, timeout).await?;
            let at = |addr: u16| words.get(usize::from(addr - start)).copied().unwrap_or(0);
            Reading {
                status: at(map.status),
                delivered: u32::from(at(map.delivered)) << 16 | u32::from(at(map.delivered + 1)),
                amount_paise: u32::from(at(map.amount)) << 16 | u32::from(at(map.amount + 1)),
                fault_code: at(map.fault_code),
            }
        } else {
            let status = read_words(ctx, map.read, map.status, 1, timeout).await?;
            let delivered = read_words(ctx, map.read, map.delivered, 2, timeout).await?;
            let amount = read_words(ctx, map.read, map.amount, 2, timeout).await?;
            let fault = read_words(ctx, map.read, map.fault_code, 1, timeout).await?;
            let word = |w: &[u16], i: usize| w.get(i).copied().unwrap_or(0);
            Reading {
                status: word(&status, 0),
                delivered: u32::from(word(&delivered, 0)) << 16 | u32::from(word(&delivered, 1)),
                amount_paise: u32::from(word(&amount, 0)) << 16 | u32::from(word(&amount, 1)),
                fault_code: word(&fault, 0),
            }
        };
        Ok(reading)
    }

    fn publish(&self, event: gasq_shared::topics::DispenserEvent) {
        tracing::info!(device = %self.label, event = ?event.event, "dispenser event");
        self.publisher.publish(event);
        DeviceStats::bump(&self.stats.published);
    }
}

/// The register range covering everything polled: `(first, count)`.
fn span(map: &RegisterMap) -> (u16, u16) {
    let firsts = [map.status, map.delivered, map.amount, map.fault_code];
    let lasts = [
        map.status,
        map.delivered.saturating_add(1),
        map.amount.saturating_add(1),
        map.fault_code,
    ];
    let start = firsts.into_iter().min().unwrap_or(0);
    let end = lasts.into_iter().max().unwrap_or(0);
    (start, end - start + 1)
}

async fn read_words(
    ctx: &mut Context,
    function: ReadFunction,
    addr: u16,
    count: u16,
    timeout: Duration,
) -> Result<Vec<u16>, Failure> {
    match function {
        ReadFunction::Holding => call(timeout, ctx.read_holding_registers(addr, count)).await,
        ReadFunction::Input => call(timeout, ctx.read_input_registers(addr, count)).await,
    }
}

async fn call<T>(
    timeout: Duration,
    request: impl std::future::Future<Output = tokio_modbus::Result<T>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(timeout, request).await {
        Err(_) => Err(Failure::Timeout(timeout)),
        Ok(Err(e)) => Err(Failure::Modbus(e)),
        Ok(Ok(Err(code))) => Err(Failure::Exception(code)),
        Ok(Ok(Ok(value))) => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_map_is_read_in_one_request() {
        assert_eq!(span(&RegisterMap::default()), (0, 6));
    }

    #[test]
    fn a_scattered_map_spans_its_extremes() {
        let map = RegisterMap {
            status: 1000,
            delivered: 10,
            ..RegisterMap::default()
        };
        assert_eq!(span(&map), (3, 998));
    }
}
