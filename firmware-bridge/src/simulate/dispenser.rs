//! A virtual dispenser: takes the router's authorisations like a real driver and
//! publishes a realistic fill — `start`, `progress` every 10 simulated seconds, `end` —
//! lasting 2 to 3 minutes divided by the speed factor. Faults happen on demand (a
//! [`Control`] command), every Nth fill, or at random.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gasq_shared::topics::{DispenserEvent, DispenserEventKind};
use rand::Rng;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Control, FaultPlan, Tally};
use crate::drivers::dispenser::{Authorization, EventPublisher, event, round_kg};

/// Simulated seconds between `progress` events.
const PROGRESS_EVERY: f64 = 10.0;
/// Simulated seconds an automatic fault lasts before `ok`.
const FAULT_LASTS: f64 = 20.0;

/// How a fill ended, for the lane that waits on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillOutcome {
    Completed,
    Faulted,
    Refused,
}

pub(super) struct VirtualDispenser {
    pub lane: u16,
    pub publisher: EventPublisher,
    pub auths: mpsc::UnboundedReceiver<Authorization>,
    pub control: mpsc::UnboundedReceiver<Control>,
    pub done: mpsc::UnboundedSender<FillOutcome>,
    pub clock: SimClock,
    pub faults: FaultPlan,
    pub fills: Arc<AtomicU64>,
    pub tally: Arc<Tally>,
    pub price_paise_per_kg: f64,
}

impl VirtualDispenser {
    pub async fn run(mut self, stop: CancellationToken) {
        let mut faulted = false;
        self.emit(event(DispenserEventKind::Ok));
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
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
                auth = self.auths.recv() => {
                    let Some(auth) = auth else { return };
                    let outcome = if faulted {
                        tracing::warn!(lane = self.lane, "virtual dispenser is faulted; authorisation refused");
                        FillOutcome::Refused
                    } else {
                        let (outcome, stays_faulted) = self.fill(auth, &stop).await;
                        faulted = stays_faulted;
                        outcome
                    };
                    let _ = self.done.send(outcome);
                }
            }
        }
    }

    /// Runs one fill; returns its outcome and whether the dispenser stays faulted.
    async fn fill(&mut self, auth: Authorization, stop: &CancellationToken) -> (FillOutcome, bool) {
        let (total_secs, kg_target, fault_at) = {
            let mut rng = rand::thread_rng();
            let n = self.fills.fetch_add(1, Ordering::Relaxed) + 1;
            let fault_at = self
                .faults
                .fault_this_fill(n, &mut rng)
                .then(|| rng.gen_range(0.2..0.8));
            let kg = auth.quantity_kg.unwrap_or_else(|| rng.gen_range(6.0..12.0));
            (rng.gen_range(120.0..180.0), round_kg(kg), fault_at)
        };
        let booking = auth.booking_id;
        self.emit(DispenserEvent {
            booking_id: booking,
            ..event(DispenserEventKind::Start)
        });
        let mut elapsed = 0.0;
        while elapsed < total_secs {
            let step = PROGRESS_EVERY.min(total_secs - elapsed);
            tokio::select! {
                () = stop.cancelled() => return (FillOutcome::Faulted, false),
                () = self.clock.sleep(step) => {}
                Some(control) = self.control.recv() => {
                    if let Control::Fault { detail, .. } = control {
                        self.fault(detail);
                        self.end(booking, kg_target * elapsed / total_secs);
                        return (FillOutcome::Faulted, true);
                    }
                }
            }
            elapsed += step;
            let fraction = elapsed / total_secs;
            if fault_at.is_some_and(|at| fraction >= at) {
                self.fault("simulated fault: nozzle pressure low".into());
                self.end(booking, kg_target * fraction);
                self.clock.sleep(FAULT_LASTS).await;
                self.emit(event(DispenserEventKind::Ok));
                return (FillOutcome::Faulted, false);
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
        self.tally.add_kg(kg_target);
        (FillOutcome::Completed, false)
    }

    fn end(&self, booking: Option<gasq_shared::BookingId>, kg: f64) {
        let kg = round_kg(kg);
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

/// Simulated time: real time divided by the speed factor (never below 1 ms a step).
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    pub speed: f64,
}

impl SimClock {
    pub fn real(&self, sim_secs: f64) -> Duration {
        Duration::from_secs_f64((sim_secs / self.speed).max(0.001))
    }

    pub async fn sleep(&self, sim_secs: f64) {
        tokio::time::sleep(self.real(sim_secs)).await;
    }
}
