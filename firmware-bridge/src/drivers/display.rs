//! Lane displays and gate controllers: each verdict of their lane arrives as one line.
//!
//! The line format (documented in `docs/bridge.md`):
//! `OK <lane> <vehicle>` when accepted (`<lane>` is the lane the driver is sent to, or
//! `-` when no lane is up; `<vehicle>` the registration or `-`), `NO <reason>` when refused (`reason` is the
//! verdict reason, e.g. `already_used`). Lines end with the configured terminator.
//!
//! A display that is away when a verdict arrives gets it after it comes back, unless it
//! is older than [`STALE_AFTER`]: an old verdict on a screen would mislead the next
//! driver.

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gasq_shared::topics::Verdict;
use tokio_util::sync::CancellationToken;

use crate::config::{DisplayConfig, Terminator};
use crate::serial::port::{self, Device, Port, is_quiet};
use crate::stats::DeviceStats;

/// A verdict line older than this is not shown any more.
pub const STALE_AFTER: Duration = Duration::from_secs(15);
/// How often an idle display's port is checked for a hang-up.
const PROBE: Duration = Duration::from_millis(100);
/// Bounds each read (the idle probe) and each write.
const WRITE_TIMEOUT: Duration = Duration::from_millis(50);

/// The line a display shows for a verdict.
pub fn verdict_line(verdict: &Verdict) -> String {
    if verdict.accepted {
        // No lane: every lane is down; the driver waits for the attendant. Showing the
        // display's own lane here would send them to a dead pump.
        let lane = verdict
            .lane
            .map_or_else(|| "-".to_owned(), |l| l.to_string());
        let vehicle = verdict
            .vehicle
            .as_deref()
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or("-");
        format!("OK {lane} {vehicle}")
    } else {
        format!("NO {}", verdict.reason)
    }
}

/// Sends lines to one display's thread.
#[derive(Debug, Clone)]
pub struct DisplayHandle {
    tx: mpsc::Sender<(String, Instant)>,
}

impl DisplayHandle {
    /// Queues a line; returns false when the display thread has stopped.
    pub fn show(&self, line: String) -> bool {
        self.tx.send((line, Instant::now())).is_ok()
    }
}

/// Starts a display's (or gate's) thread.
pub fn spawn(
    kind: &str,
    config: DisplayConfig,
    stats: Arc<DeviceStats>,
    stop: CancellationToken,
) -> io::Result<(DisplayHandle, JoinHandle<()>)> {
    let label = format!("{kind} lane {} ({})", config.lane, config.port.display());
    let (tx, rx) = mpsc::channel();
    let mut device = DisplayDevice {
        rx,
        pending: None,
        terminator: config.terminator,
        stats: Arc::clone(&stats),
    };
    let settings = config.serial();
    let thread = std::thread::Builder::new()
        .name(label.clone())
        .spawn(move || {
            port::keep_open(&label, &settings, WRITE_TIMEOUT, &stop, &stats, &mut device);
        })?;
    Ok((DisplayHandle { tx }, thread))
}

struct DisplayDevice {
    rx: mpsc::Receiver<(String, Instant)>,
    /// The latest line not yet written (the port was away).
    pending: Option<(String, Instant)>,
    terminator: Terminator,
    stats: Arc<DeviceStats>,
}

impl Device for DisplayDevice {
    fn session(&mut self, port: &mut Port, stop: &CancellationToken) -> io::Result<()> {
        let mut scratch = [0u8; 64];
        while !stop.is_cancelled() {
            if let Some((line, at)) = self.pending.take() {
                if at.elapsed() > STALE_AFTER {
                    DeviceStats::bump(&self.stats.write_dropped);
                    tracing::info!(%line, "display line too old to show; dropped");
                } else if let Err(e) = self.write(port, &line) {
                    self.pending = Some((line, at));
                    return Err(e);
                }
                continue;
            }
            match self.rx.recv_timeout(PROBE) {
                Ok(item) => self.replace_pending(item),
                Err(RecvTimeoutError::Timeout) => probe(port, &mut scratch)?,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
        Ok(())
    }
}

impl DisplayDevice {
    fn replace_pending(&mut self, item: (String, Instant)) {
        if self.pending.replace(item).is_some() {
            DeviceStats::bump(&self.stats.write_dropped);
        }
    }

    fn write(&self, port: &mut Port, line: &str) -> io::Result<()> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.extend_from_slice(self.terminator.bytes());
        port.write_all(&bytes)?;
        port.flush()?;
        DeviceStats::bump(&self.stats.written);
        tracing::debug!(%line, "display line written");
        Ok(())
    }
}

/// Reads and discards what an idle device sends; a hang-up shows up as an error here
/// rather than on the next verdict.
fn probe(port: &mut Port, scratch: &mut [u8]) -> io::Result<()> {
    match port.read(scratch) {
        Ok(0) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "port closed")),
        Ok(_) => Ok(()),
        Err(e) if is_quiet(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use gasq_shared::topics::Reason;

    use super::*;

    fn verdict(
        accepted: bool,
        reason: Reason,
        vehicle: Option<&str>,
        lane: Option<u16>,
    ) -> Verdict {
        Verdict {
            scan_id: None,
            accepted,
            reason,
            booking_id: None,
            vehicle: vehicle.map(String::from),
            quantity_kg: None,
            lane,
            at: chrono::Utc::now(),
        }
    }

    #[test]
    fn an_accepted_verdict_shows_the_assigned_lane_and_the_vehicle() {
        let v = verdict(true, Reason::Ok, Some("MH12AB1234"), Some(2));
        assert_eq!(verdict_line(&v), "OK 2 MH12AB1234");
    }

    #[test]
    fn a_refused_verdict_shows_the_reason() {
        let v = verdict(false, Reason::AlreadyUsed, None, Some(1));
        assert_eq!(verdict_line(&v), "NO already_used");
    }

    #[test]
    fn missing_or_odd_fields_fall_back_safely() {
        let v = verdict(true, Reason::Ok, None, None);
        assert_eq!(verdict_line(&v), "OK - -");
        let v = verdict(true, Reason::Ok, Some("MH 12\r\nX"), Some(1));
        assert_eq!(verdict_line(&v), "OK 1 -");
    }
}
