//! Serial QR scanners: each line a scanner sends becomes a scan on
//! `gasq/{station}/lane/{lane}/scan`, as JSON `{"id":"<lane>-<uuid>","code":"<text>"}`
//! at QoS 1. Non-UTF-8 and oversized lines are dropped and counted; the port is
//! reopened with backoff when the device disappears.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use gasq_shared::StationCode;
use gasq_shared::topics::{LaneChannel, MAX_SCAN_BYTES, Scan, Topic};
use tokio_util::sync::CancellationToken;

use crate::config::ScannerConfig;
use crate::mqtt::Bus;
use crate::serial::lines::{Chunk, LineSplitter};
use crate::serial::port::{self, Device, Port, is_quiet};
use crate::stats::DeviceStats;

const READ_TIMEOUT: Duration = Duration::from_millis(100);

/// Starts a scanner's thread.
pub fn spawn(
    config: ScannerConfig,
    station: &StationCode,
    bus: Bus,
    stats: Arc<DeviceStats>,
    stop: CancellationToken,
) -> io::Result<JoinHandle<()>> {
    let label = format!("scanner lane {} ({})", config.lane, config.port.display());
    let mut scanner = ScannerDevice {
        topic: Topic::lane(station, config.lane, LaneChannel::Scan).to_string(),
        splitter: LineSplitter::new(config.terminator, config.max_line),
        config,
        bus,
        stats,
        label: label.clone(),
    };
    std::thread::Builder::new()
        .name(label.clone())
        .spawn(move || {
            let settings = scanner.config.serial();
            let stats = Arc::clone(&scanner.stats);
            port::keep_open(&label, &settings, READ_TIMEOUT, &stop, &stats, &mut scanner);
        })
}

struct ScannerDevice {
    config: ScannerConfig,
    topic: String,
    splitter: LineSplitter,
    bus: Bus,
    stats: Arc<DeviceStats>,
    label: String,
}

impl Device for ScannerDevice {
    fn session(&mut self, port: &mut Port, stop: &CancellationToken) -> io::Result<()> {
        // A partial line from before the port was lost belongs to nobody.
        self.splitter.reset();
        let mut buf = [0u8; 512];
        let mut chunks = Vec::new();
        while !stop.is_cancelled() {
            match port.read(&mut buf) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "port closed")),
                Ok(n) => {
                    self.splitter.feed(&buf[..n], &mut chunks);
                    for chunk in chunks.drain(..) {
                        self.handle(chunk);
                    }
                }
                Err(e) if is_quiet(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl ScannerDevice {
    fn handle(&mut self, chunk: Chunk) {
        DeviceStats::bump(&self.stats.lines);
        let text = match chunk {
            Chunk::Line(text) => text,
            Chunk::NotUtf8 => {
                let n = DeviceStats::bump(&self.stats.dropped_not_utf8);
                tracing::warn!(device = %self.label, dropped = n, "scan dropped: not UTF-8 (check baud rate and parity)");
                return;
            }
            Chunk::TooLong => {
                let n = DeviceStats::bump(&self.stats.dropped_too_long);
                tracing::warn!(device = %self.label, dropped = n, max_line = self.config.max_line, "scan dropped: line too long");
                return;
            }
        };
        let Some(code) = strip(&text, &self.config.prefix, &self.config.suffix) else {
            return;
        };
        let scan = Scan {
            id: Some(format!("{}-{}", self.config.lane, uuid::Uuid::now_v7())),
            code: code.to_owned(),
        };
        match serde_json::to_vec(&scan) {
            // JSON escaping can grow a line full of control characters past what the
            // edge accepts; it would only earn a `malformed` verdict, so drop it here.
            Ok(payload) if payload.len() > MAX_SCAN_BYTES => {
                let n = DeviceStats::bump(&self.stats.dropped_too_long);
                tracing::warn!(device = %self.label, dropped = n, "scan dropped: too long for the station bus once encoded");
            }
            Ok(payload) => {
                tracing::info!(device = %self.label, scan_id = scan.id.as_deref().unwrap_or(""), "scan");
                self.bus.publish_scan(self.topic.clone(), payload);
                DeviceStats::bump(&self.stats.published);
            }
            Err(e) => tracing::error!(error = %e, "cannot encode scan"),
        }
    }
}

/// Removes the configured prefix and suffix when present; `None` when nothing is left.
pub fn strip<'a>(text: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let text = text.strip_prefix(prefix).unwrap_or(text);
    let text = text.strip_suffix(suffix).unwrap_or(text);
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_suffix_are_removed_only_when_present() {
        assert_eq!(strip("]Q1GQ1:AB#", "]Q1", "#"), Some("GQ1:AB"));
        assert_eq!(strip("GQ1:AB", "]Q1", "#"), Some("GQ1:AB"));
        assert_eq!(strip("]Q1", "]Q1", ""), None);
    }
}
