//! Per-device counters. Drivers bump them from their threads; the bridge logs them and
//! tests read them to check that bad input was skipped and counted
//! (docs/architecture.md, invariant 6).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Live counters of one device.
#[derive(Debug, Default)]
pub struct DeviceStats {
    pub opened: AtomicU64,
    pub lost: AtomicU64,
    pub lines: AtomicU64,
    pub published: AtomicU64,
    pub dropped_not_utf8: AtomicU64,
    pub dropped_too_long: AtomicU64,
    pub dropped_bad_frame: AtomicU64,
    pub written: AtomicU64,
    pub write_dropped: AtomicU64,
    pub errors: AtomicU64,
}

/// A snapshot of [`DeviceStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeviceCounts {
    /// Times the port was opened (1 + reopens).
    pub opened: u64,
    /// Times the port failed while open (unplugged, I/O error, no answer).
    pub lost: u64,
    /// Complete lines or frames received.
    pub lines: u64,
    /// Messages published to the bus.
    pub published: u64,
    pub dropped_not_utf8: u64,
    pub dropped_too_long: u64,
    /// Line-protocol frames with a bad checksum or unknown content.
    pub dropped_bad_frame: u64,
    /// Lines or commands written to the device.
    pub written: u64,
    /// Lines that could not be written (device away, or too old when it came back).
    pub write_dropped: u64,
    /// Other failures (HTTP errors, undecodable frames, Modbus exceptions).
    pub errors: u64,
}

impl DeviceStats {
    pub fn bump(counter: &AtomicU64) -> u64 {
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn snapshot(&self) -> DeviceCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        DeviceCounts {
            opened: get(&self.opened),
            lost: get(&self.lost),
            lines: get(&self.lines),
            published: get(&self.published),
            dropped_not_utf8: get(&self.dropped_not_utf8),
            dropped_too_long: get(&self.dropped_too_long),
            dropped_bad_frame: get(&self.dropped_bad_frame),
            written: get(&self.written),
            write_dropped: get(&self.write_dropped),
            errors: get(&self.errors),
        }
    }
}
