//! `gasq-bridge simulate`: N virtual lanes, each with a virtual scanner and dispenser,
//! on a real broker — for demos and load tests. Scans go out and verdicts come back
//! through the same bus client and router as `gasq-bridge run`, so a simulation
//! exercises the production path up to the serial port.

mod dispenser;
mod fleet;
mod lane;
pub mod tokens;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasq_shared::StationCode;
use gasq_shared::topics::Verdict;
use rand::Rng;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use dispenser::{FillOutcome, SimClock};

use crate::drivers::dispenser::DispenserHandle;
use crate::mqtt::BusSettings;
use crate::router::Routes;

/// What a simulation does.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub lanes: u16,
    pub tokens: Vec<String>,
    /// Start over when the tokens run out (load tests).
    pub repeat: bool,
    /// 1.0 is real time (fills of 2–3 minutes); 60 makes a fill take 2–3 seconds.
    pub speed: f64,
    /// Every Nth fill (counted over all lanes) has a fault.
    pub fault_every: Option<u64>,
    /// Probability that a fill has a fault.
    pub fault_rate: f64,
    /// How long a lane waits for a verdict (real time).
    pub verdict_timeout: Duration,
    /// Stop after this long (real time), tokens left or not.
    pub duration: Option<Duration>,
    /// Price used for `amount_paise` (paise per kg).
    pub price_paise_per_kg: f64,
}

/// An operator's command, e.g. typed on stdin: `fault 2 nozzle stuck`, `ok 2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    Fault { lane: u16, detail: String },
    Clear { lane: u16 },
}

impl Control {
    /// Parses `fault <lane> [text]` or `ok <lane>`.
    pub fn parse(line: &str) -> Result<Self, String> {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or_default().to_ascii_lowercase();
        let lane: u16 = words
            .next()
            .and_then(|w| w.parse().ok())
            .filter(|l| *l >= 1)
            .ok_or("give a lane number: `fault <lane> [text]` or `ok <lane>`")?;
        let rest: Vec<&str> = words.collect();
        match verb.as_str() {
            "fault" => Ok(Self::Fault {
                lane,
                detail: if rest.is_empty() {
                    "fault on demand".into()
                } else {
                    rest.join(" ")
                },
            }),
            "ok" | "clear" => Ok(Self::Clear { lane }),
            _ => Err(format!(
                "unknown command {verb:?}: use `fault <lane> [text]` or `ok <lane>`"
            )),
        }
    }

    pub(crate) fn lane(&self) -> u16 {
        match self {
            Self::Fault { lane, .. } | Self::Clear { lane } => *lane,
        }
    }
}

/// When automatic faults happen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultPlan {
    every: Option<u64>,
    rate: f64,
}

impl FaultPlan {
    fn fault_this_fill(&self, n: u64, rng: &mut impl Rng) -> bool {
        self.every.is_some_and(|e| e > 0 && n.is_multiple_of(e))
            || (self.rate > 0.0 && rng.gen_bool(self.rate.clamp(0.0, 1.0)))
    }
}

/// What happened, printed as one JSON line at the end.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub scans: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub no_verdict: u64,
    pub fills: u64,
    pub faults: u64,
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
pub(crate) struct Tally {
    summary: Mutex<Summary>,
    latencies: Mutex<Vec<Duration>>,
}

impl Tally {
    fn with(&self, f: impl FnOnce(&mut Summary)) {
        f(&mut self.summary.lock().unwrap_or_else(|e| e.into_inner()));
    }
    fn latency(&self, d: Duration) {
        self.latencies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(d);
    }
    fn scan(&self) {
        self.with(|s| s.scans += 1);
    }
    fn no_verdict(&self) {
        self.with(|s| s.no_verdict += 1);
    }
    fn verdict(&self, v: &Verdict) {
        self.with(|s| {
            if v.accepted {
                s.accepted += 1
            } else {
                s.rejected += 1
            }
            *s.reasons.entry(v.reason.to_string()).or_default() += 1;
        });
    }
    fn fill(&self) {
        self.with(|s| s.fills += 1);
    }
    fn fault(&self) {
        self.with(|s| s.faults += 1);
    }
    fn add_kg(&self, kg: f64) {
        self.with(|s| s.kg = crate::drivers::dispenser::round_kg(s.kg + kg));
    }
    fn summary(&self) -> Summary {
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

/// What every lane shares.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    tally: Arc<Tally>,
    tokens: Arc<tokens::TokenQueue>,
    clock: SimClock,
    faults: FaultPlan,
    fills: Arc<AtomicU64>,
    verdict_timeout: Duration,
    price_paise_per_kg: f64,
}

/// Runs the simulation until the tokens run out, `duration` passes, or `stop`.
pub async fn run(
    station: &StationCode,
    settings: BusSettings,
    options: SimOptions,
    control: mpsc::UnboundedReceiver<Control>,
    stop: CancellationToken,
) -> Summary {
    let common = Common {
        tally: Arc::new(Tally::default()),
        tokens: Arc::new(tokens::TokenQueue::new(
            options.tokens.clone(),
            options.repeat,
        )),
        clock: SimClock {
            speed: options.speed.max(0.001),
        },
        faults: FaultPlan {
            every: options.fault_every,
            rate: options.fault_rate,
        },
        fills: Arc::new(AtomicU64::new(0)),
        verdict_timeout: options.verdict_timeout,
        price_paise_per_kg: options.price_paise_per_kg,
    };
    let mut routes = Routes::default();
    let mut wiring = Vec::new();
    for lane in 1..=options.lanes {
        let (handle, auths) = DispenserHandle::channel();
        let (verdict_tx, verdicts) = mpsc::unbounded_channel();
        routes.dispensers.insert(lane, handle);
        routes.observers.insert(lane, verdict_tx);
        wiring.push((lane, auths, verdicts));
    }
    let bus_stop = CancellationToken::new();
    let (bus, _router, bus_tasks) = crate::start_bus(station, settings, routes, &bus_stop);
    let fleet = fleet::Fleet::start(station, &bus, wiring, &common, &stop);
    tracing::info!(
        lanes = options.lanes,
        tokens = options.tokens.len(),
        speed = options.speed,
        "simulation started"
    );

    let started = std::time::Instant::now();
    fleet.run(control, options.duration).await;
    let elapsed = started.elapsed();
    bus_stop.cancel();
    for task in bus_tasks {
        let _ = task.await;
    }
    let mut summary = common.tally.summary();
    let outbox = bus.stats().outbox;
    summary.dropped = outbox.dropped + outbox.expired;
    summary.elapsed_secs = (elapsed.as_secs_f64() * 1000.0).round() / 1000.0;
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_commands_parse_or_explain() {
        assert_eq!(
            Control::parse("fault 2 nozzle stuck").unwrap(),
            Control::Fault {
                lane: 2,
                detail: "nozzle stuck".into()
            }
        );
        assert_eq!(Control::parse("OK 3").unwrap(), Control::Clear { lane: 3 });
        assert!(Control::parse("fault").unwrap_err().contains("lane"));
        assert!(Control::parse("explode 1").unwrap_err().contains("unknown"));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms = |n: u64| Duration::from_millis(n);
        let p = Percentiles::of((1..=100).rev().map(ms).collect()).unwrap();
        assert_eq!((p.p50, p.p99, p.max), (50.0, 99.0, 100.0));
        let one = Percentiles::of(vec![ms(7)]).unwrap();
        assert_eq!((one.p50, one.p99), (7.0, 7.0));
        assert!(Percentiles::of(Vec::new()).is_none());
    }

    #[test]
    fn every_nth_fill_faults() {
        let plan = FaultPlan {
            every: Some(3),
            rate: 0.0,
        };
        let mut rng = rand::thread_rng();
        let faults: Vec<bool> = (1..=6).map(|n| plan.fault_this_fill(n, &mut rng)).collect();
        assert_eq!(faults, [false, false, true, false, false, true]);
    }
}
