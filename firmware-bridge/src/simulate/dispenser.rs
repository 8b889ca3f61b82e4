//! A virtual dispenser: takes the router's authorisations like a real driver — one for
//! each driver the edge sent to its lane, whichever lane they scanned at — and fuels
//! them in turn: `start`, `progress` every 10 simulated seconds, `end`, all naming the
//! booking, lasting 2 to 3 minutes divided by the speed factor. Faults happen on demand
//! (a [`Control`] command), every Nth fill, or at random.
//!
//! A fault during a fill ends it first (`end` with what was delivered: the driver
//! leaves with a partial fill, recorded like any other), then reports the `fault`, so
//! the edge never sees a car left at a failed pump. Drivers waiting for a faulted pump
//! keep their place: an automatic fault clears after 20 simulated seconds (`ok`), one
//! on demand when the operator clears it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gasq_shared::BookingId;
use gasq_shared::topics::{DispenserEvent, DispenserEventKind};
use rand::Rng;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::forecourt::Forecourt;
use super::{Control, FaultPlan, Tally};
use crate::drivers::dispenser::{Authorization, EventPublisher, event, round_kg};

/// Simulated seconds between `progress` events.
const PROGRESS_EVERY: f64 = 10.0;
/// Simulated seconds an automatic fault lasts before `ok`.
const FAULT_LASTS: f64 = 20.0;

/// How a fill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillOutcome {
    Completed,
    /// Cut short by a fault.
    Faulted,
    /// Cut short because the simulation stopped.
    Stopped,
}

/// A fill's outcome, for the lane that waits on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FillReport {
    pub booking: Option<BookingId>,
    pub outcome: FillOutcome,
}

/// When the dispenser stops: `drain` once the lanes stopped scanning (it fuels the
/// drivers already sent to it, then ends), `stop` at once.
pub(super) struct Ending {
    pub drain: CancellationToken,
    pub stop: CancellationToken,
}

pub(super) struct VirtualDispenser {
    pub lane: u16,
    pub publisher: EventPublisher,
    pub auths: mpsc::UnboundedReceiver<Authorization>,
    pub control: mpsc::UnboundedReceiver<Control>,
    pub done: mpsc::UnboundedSender<FillReport>,
    pub clock: SimClock,
    pub faults: FaultPlan,
    pub fills: Arc<AtomicU64>,
    pub tally: Arc<Tally>,
    pub forecourt: Arc<Forecourt>,
    pub price_paise_per_kg: f64,
}

/// What interrupted a fill.
enum Interruption {
    Stop,
    Fault(String),
}

impl VirtualDispenser {
    pub async fn run(mut self, ending: Ending) {
        let mut faulted = false;
        self.emit(event(DispenserEventKind::Ok));
        loop {
            if ending.drain.is_cancelled() && (faulted || self.auths.is_empty()) {
                let left = self.auths.len();
                if left > 0 {
                    tracing::warn!(
                        lane = self.lane,
                        left,
                        "dispenser faulted at the end: drivers left unserved"
                    );
                }
                return;
            }
            tokio::select! {
                () = ending.stop.cancelled() => return,
                // Woken so the check above runs.
                () = ending.drain.cancelled(), if !ending.drain.is_cancelled() => {}
                control = self.control.recv() => match control {
                    Some(Control::Fault { detail, .. }) if !faulted => {
                        faulted = true;
                        self.fault(detail);
                    }
                    Some(Control::Clear { .. }) if faulted => {
                        faulted = false;
                        self.emit(event(DispenserEventKind::Ok));
                    }
                    Some(_) => {}
                    None => std::future::pending::<()>().await,
                },
                Some(auth) = self.auths.recv(), if !faulted => {
                    self.forecourt.leaves(self.lane);
                    let (outcome, stays_faulted) = self.fill(&auth, &ending.stop).await;
                    faulted = stays_faulted;
                    let _ = self.done.send(FillReport { booking: auth.booking_id, outcome });
                    if outcome == FillOutcome::Stopped {
                        return;
                    }
                }
            }
        }
    }

    /// Runs one fill; returns its outcome and whether the dispenser stays faulted.
    async fn fill(
        &mut self,
        auth: &Authorization,
        stop: &CancellationToken,
    ) -> (FillOutcome, bool) {
        let (total_secs, kg_target, fault_at) = self.plan(auth);
        let booking = auth.booking_id;
        self.emit(DispenserEvent {
            booking_id: booking,
            ..event(DispenserEventKind::Start)
        });
        let mut elapsed = 0.0;
        while elapsed < total_secs {
            let step = PROGRESS_EVERY.min(total_secs - elapsed);
            let interrupted = tokio::select! {
                () = stop.cancelled() => Some(Interruption::Stop),
                () = self.clock.sleep(step) => None,
                Some(control) = self.control.recv() => match control {
                    Control::Fault { detail, .. } => Some(Interruption::Fault(detail)),
                    Control::Clear { .. } => None,
                },
            };
            let delivered = kg_target * elapsed / total_secs;
            match interrupted {
                Some(Interruption::Stop) => {
                    self.end(booking, delivered);
                    return (FillOutcome::Stopped, false);
                }
                Some(Interruption::Fault(detail)) => {
                    self.end(booking, delivered);
                    self.fault(detail);
                    return (FillOutcome::Faulted, true);
                }
                None => {}
            }
            elapsed += step;
            let fraction = elapsed / total_secs;
            if fault_at.is_some_and(|at| fraction >= at) {
                self.end(booking, kg_target * fraction);
                self.fault("simulated fault: nozzle pressure low".into());
                return self.recover(stop).await;
            }
            if elapsed < total_secs {
                self.emit(DispenserEvent {
                    booking_id: booking,
                    kg: Some(round_kg(kg_target * fraction)),
                    ..event(DispenserEventKind::Progress)
                });
            }
        }
        self.end(booking, kg_target);
        // Counted here, at the pump: the driver may have scanned at another lane.
        self.tally.fill();
        (FillOutcome::Completed, false)
    }

    /// How long the fill lasts (simulated seconds), how much it delivers, and when
    /// (as a fraction of it) a scheduled fault cuts it short.
    fn plan(&self, auth: &Authorization) -> (f64, f64, Option<f64>) {
        let mut rng = rand::thread_rng();
        let n = self.fills.fetch_add(1, Ordering::Relaxed) + 1;
        let fault_at = self
            .faults
            .fault_this_fill(n, &mut rng)
            .then(|| rng.gen_range(0.2..0.8));
        let kg = auth.quantity_kg.unwrap_or_else(|| rng.gen_range(6.0..12.0));
        (rng.gen_range(120.0..180.0), round_kg(kg), fault_at)
    }

    /// An automatic fault clears by itself after a while.
    async fn recover(&self, stop: &CancellationToken) -> (FillOutcome, bool) {
        tokio::select! {
            () = stop.cancelled() => return (FillOutcome::Faulted, true),
            () = self.clock.sleep(FAULT_LASTS) => {}
        }
        self.emit(event(DispenserEventKind::Ok));
        (FillOutcome::Faulted, false)
    }

    /// Ends the fill of `booking` after `kg` were delivered.
    fn end(&self, booking: Option<BookingId>, kg: f64) {
        let kg = round_kg(kg);
        self.tally.add_kg(kg);
        self.emit(DispenserEvent {
            booking_id: booking,
            kg: Some(kg),
            amount_paise: Some((kg * self.price_paise_per_kg).round() as i64),
            ..event(DispenserEventKind::End)
        });
    }

    fn fault(&self, detail: String) {
        self.tally.fault();
        self.emit(DispenserEvent {
            detail: Some(detail),
            ..event(DispenserEventKind::Fault)
        });
    }

    fn emit(&self, e: DispenserEvent) {
        tracing::debug!(lane = self.lane, event = ?e.event, "virtual dispenser event");
        self.publisher.publish(e);
    }
}

/// How much faster the clock runs once a run is finishing: the drivers already at a
/// pump are fuelled in moments rather than minutes.
const FAST_FORWARD: f64 = 100.0;

/// Simulated time: real time divided by the speed factor (never below 1 ms a step).
/// Clones share the fast-forward switch.
#[derive(Debug, Clone)]
pub struct SimClock {
    speed: f64,
    /// Cancelled once the clock runs fast.
    fast: CancellationToken,
}

impl SimClock {
    pub fn new(speed: f64) -> Self {
        Self {
            speed: speed.max(0.001),
            fast: CancellationToken::new(),
        }
    }

    /// From now on, time runs [`FAST_FORWARD`] times faster (sleeps under way too).
    pub fn fast_forward(&self) {
        self.fast.cancel();
    }

    fn speed(&self) -> f64 {
        if self.fast.is_cancelled() {
            self.speed * FAST_FORWARD
        } else {
            self.speed
        }
    }

    pub fn real(&self, sim_secs: f64) -> Duration {
        Duration::from_secs_f64((sim_secs / self.speed()).max(0.001))
    }

    pub async fn sleep(&self, sim_secs: f64) {
        let started = tokio::time::Instant::now();
        tokio::select! {
            () = tokio::time::sleep(self.real(sim_secs)) => {}
            () = self.fast.cancelled(), if !self.fast.is_cancelled() => {
                // What is left of this sleep passes at the fast rate.
                let slept = started.elapsed().as_secs_f64() * self.speed;
                tokio::time::sleep(self.real((sim_secs - slept).max(0.0))).await;
            }
        }
    }
}
