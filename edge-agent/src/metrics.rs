//! Counters the agent keeps about itself, shown under `counters` in `GET /status`.
//! Garbage on the bus is counted here rather than crashing anything (docs/architecture.md, invariant 6).

use std::sync::atomic::{AtomicU64, Ordering};

use gasq_shared::topics::Reason;
use serde::{Deserialize, Serialize};

const REASONS: [Reason; 9] = [
    Reason::Ok,
    Reason::Malformed,
    Reason::UnknownKey,
    Reason::BadSignature,
    Reason::WrongStation,
    Reason::NotYetValid,
    Reason::Expired,
    Reason::AlreadyUsed,
    Reason::Revoked,
];

/// Process-wide counters; relaxed atomics, they are statistics.
#[derive(Debug, Default)]
pub struct Counters {
    verdicts: [AtomicU64; REASONS.len()],
    /// Messages on the bus that were not understood (dispenser garbage, stray topics).
    pub bus_garbage: AtomicU64,
    /// Lane messages dropped because that lane's worker was overwhelmed.
    pub dropped: AtomicU64,
    /// Scans that got no verdict because the database failed.
    pub internal_errors: AtomicU64,
    /// Dispenser events ignored: not signed by a provisioned bridge, or replayed.
    pub dispenser_refused: AtomicU64,
    /// Times the agent's own station-bus link closed (and was rebuilt).
    pub bus_link_drops: AtomicU64,
    /// Frames replaced by a newer one of their lane before they were decoded.
    pub frames_shed: AtomicU64,
}

/// A copy of the counters for JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersSnapshot {
    pub verdicts: std::collections::BTreeMap<String, u64>,
    pub bus_garbage: u64,
    pub dropped: u64,
    pub internal_errors: u64,
    #[serde(default)]
    pub dispenser_refused: u64,
    #[serde(default)]
    pub bus_link_drops: u64,
    #[serde(default)]
    pub frames_shed: u64,
}

impl Counters {
    pub fn verdict(&self, reason: Reason) {
        if let Some(i) = REASONS.iter().position(|r| *r == reason) {
            self.verdicts[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            verdicts: REASONS
                .iter()
                .zip(&self.verdicts)
                .map(|(r, n)| (r.as_str().to_owned(), n.load(Ordering::Relaxed)))
                .collect(),
            bus_garbage: self.bus_garbage.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            internal_errors: self.internal_errors.load(Ordering::Relaxed),
            dispenser_refused: self.dispenser_refused.load(Ordering::Relaxed),
            bus_link_drops: self.bus_link_drops.load(Ordering::Relaxed),
            frames_shed: self.frames_shed.load(Ordering::Relaxed),
        }
    }
}
