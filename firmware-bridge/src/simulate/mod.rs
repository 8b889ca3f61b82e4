//! `gasq-bridge simulate`: N virtual lanes, each with a virtual scanner and dispenser,
//! on a real broker — for demos and load tests. Scans go out and verdicts come back
//! through the same bus client and router as `gasq-bridge run`, so a simulation
//! exercises the production path up to the serial port.
//!
//! A simulated driver does what the edge says: the verdict names the lane the edge's
//! queue sends them to, the router authorises that lane's dispenser (as for real
//! devices), and that dispenser fuels them in turn — `start`, `progress`, `end`, each
//! naming the booking — so the edge's queue and the cloud see every fill where the
//! edge expected it. A driver sent to their own lane keeps that lane busy until their
//! fill is done; one sent elsewhere frees it for the next car — unless someone is
//! waiting for this lane's own pump, in front of its scanner ([`forecourt`]).
//!
//! A run ends when the tokens run out (or `duration` passes): the lanes stop scanning,
//! and the dispensers first fuel every driver already sent to them. [`Stop::finish`]
//! (Ctrl-C) ends it the same way, fast-forwarded, so the edge and the cloud are left
//! with no driver waiting forever; [`Stop::now`] (a second Ctrl-C) ends at once, a fill
//! in progress ending with what it delivered.

mod dispenser;
mod fleet;
mod forecourt;
mod lane;
mod summary;
pub mod tokens;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use gasq_shared::StationCode;
use rand::Rng;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use dispenser::{FillOutcome, SimClock};
use summary::Tally;
pub use summary::{Percentiles, Summary};

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
    /// When the tokens run out, read this file again for tokens not seen yet, and wait
    /// for some while there are none (a demo that keeps booking); the run then ends
    /// only at `duration` or a stop.
    pub follow: Option<PathBuf>,
    /// 1.0 is real time (fills of 2–3 minutes); 60 makes a fill take 2–3 seconds.
    pub speed: f64,
    /// Every Nth fill (counted over all lanes) has a fault.
    pub fault_every: Option<u64>,
    /// Probability that a fill has a fault.
    pub fault_rate: f64,
    /// How long a lane waits for a verdict (real time).
    pub verdict_timeout: Duration,
    /// Stop scanning after this long (real time), tokens left or not; the dispensers
    /// still fuel the drivers already sent to them.
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

/// What every lane and dispenser shares.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    tally: Arc<Tally>,
    forecourt: Arc<forecourt::Forecourt>,
    tokens: Arc<tokens::TokenQueue>,
    clock: SimClock,
    faults: FaultPlan,
    fills: Arc<AtomicU64>,
    verdict_timeout: Duration,
    price_paise_per_kg: f64,
}

impl Common {
    fn new(options: &SimOptions) -> Self {
        Self {
            tally: Arc::new(Tally::default()),
            forecourt: Arc::new(forecourt::Forecourt::new(options.lanes)),
            tokens: Arc::new(tokens::TokenQueue::new(
                options.tokens.clone(),
                options.repeat,
                options.follow.clone(),
            )),
            clock: SimClock::new(options.speed),
            faults: FaultPlan {
                every: options.fault_every,
                rate: options.fault_rate,
            },
            fills: Arc::new(AtomicU64::new(0)),
            verdict_timeout: options.verdict_timeout,
            price_paise_per_kg: options.price_paise_per_kg,
        }
    }
}

/// How a run is ended from outside. The CLI finishes on the first Ctrl-C (or
/// SIGTERM) and stops on a second.
#[derive(Debug, Clone)]
pub struct Stop {
    /// Stop scanning; the dispensers fuel the drivers already sent to them, with the
    /// simulated clock fast-forwarded, and the run ends.
    pub finish: CancellationToken,
    /// End at once: fills in progress end with what they delivered (implies `finish`).
    pub now: CancellationToken,
}

impl Stop {
    pub fn new() -> Self {
        let now = CancellationToken::new();
        Self {
            finish: now.child_token(),
            now,
        }
    }
}

impl Default for Stop {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs the simulation until the tokens run out, `duration` passes, or `stop` (see
/// the module docs for how each ends).
pub async fn run(
    station: &StationCode,
    settings: BusSettings,
    options: SimOptions,
    control: mpsc::UnboundedReceiver<Control>,
    stop: Stop,
) -> Summary {
    let common = Common::new(&options);
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
        follow = ?options.follow,
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
