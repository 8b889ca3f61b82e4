//! What a simulation reports: the [`Summary`] printed as one JSON line at the end, and
//! the [`Tally`] the lanes and dispensers count into while it runs.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use gasq_shared::topics::Verdict;
use serde::Serialize;

/// What happened, printed as one JSON line at the end.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub scans: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub no_verdict: u64,
    /// Fills completed, counted at the pump (the driver may have scanned elsewhere).
    pub fills: u64,
    pub faults: u64,
    /// Kilograms delivered, fills cut short included.
    pub kg: f64,
    pub reasons: BTreeMap<String, u64>,
    /// Bus messages dropped because the broker was away too long: pushed out of the
    /// full buffer, or scans that waited past their time to live.
    pub dropped: u64,
    /// Wall-clock seconds the run took.
    pub elapsed_secs: f64,
    /// Scan published → its verdict received, over the bus (the load-test figure).
    pub verdict_ms: Option<Percentiles>,
}

/// Latency percentiles in milliseconds (nearest rank).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// `None` for no samples.
    pub fn of(mut samples: Vec<Duration>) -> Option<Self> {
        samples.sort_unstable();
        let at = |q: f64| {
            let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            (samples[rank - 1].as_secs_f64() * 1e6).round() / 1e3
        };
        (!samples.is_empty()).then(|| Self {
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
        })
    }
}

impl Summary {
    /// Scans were made but not one got a verdict: the edge or the broker never
    /// answered, and the run proved nothing.
    pub fn nothing_answered(&self) -> bool {
        self.scans > 0 && self.no_verdict == self.scans
    }
}

/// Shared counters behind the summary.
#[derive(Debug, Default)]
pub(super) struct Tally {
    summary: Mutex<Summary>,
    latencies: Mutex<Vec<Duration>>,
}

impl Tally {
    fn with(&self, f: impl FnOnce(&mut Summary)) {
        f(&mut self.summary.lock().unwrap_or_else(|e| e.into_inner()));
    }
    pub(super) fn latency(&self, d: Duration) {
        self.latencies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(d);
    }
    pub(super) fn scan(&self) {
        self.with(|s| s.scans += 1);
    }
    pub(super) fn no_verdict(&self) {
        self.with(|s| s.no_verdict += 1);
    }
    pub(super) fn verdict(&self, v: &Verdict) {
        self.with(|s| {
            if v.accepted {
                s.accepted += 1
            } else {
                s.rejected += 1
            }
            *s.reasons.entry(v.reason.to_string()).or_default() += 1;
        });
    }
    pub(super) fn fill(&self) {
        self.with(|s| s.fills += 1);
    }
    pub(super) fn fault(&self) {
        self.with(|s| s.faults += 1);
    }
    pub(super) fn add_kg(&self, kg: f64) {
        self.with(|s| s.kg = crate::drivers::dispenser::round_kg(s.kg + kg));
    }
    pub(super) fn summary(&self) -> Summary {
        let mut summary = self
            .summary
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let latencies = self
            .latencies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        summary.verdict_ms = Percentiles::of(latencies);
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms = |n: u64| Duration::from_millis(n);
        let p = Percentiles::of((1..=100).rev().map(ms).collect()).unwrap();
        assert_eq!((p.p50, p.p99, p.max), (50.0, 99.0, 100.0));
        let one = Percentiles::of(vec![ms(7)]).unwrap();
        assert_eq!((one.p50, one.p99), (7.0, 7.0));
        assert!(Percentiles::of(Vec::new()).is_none());
    }
}
