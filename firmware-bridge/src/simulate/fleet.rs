//! The simulated lanes as a whole: starts a virtual dispenser and a virtual lane per
//! lane number, passes operator commands to the right dispenser, and ends the run in
//! order — lanes stop scanning (tokens used up, or time up), then the dispensers fuel
//! the drivers already sent to them — or at once on stop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gasq_shared::StationCode;
use gasq_shared::topics::{LaneChannel, Topic, Verdict};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::dispenser::{Ending, SimClock, VirtualDispenser};
use super::lane::VirtualLane;
use super::{Common, Control, Stop};
use crate::drivers::dispenser::{Authorization, EventPublisher};
use crate::mqtt::Bus;

/// Per lane: its number, the router's authorisations and verdicts for it.
pub(super) type Wiring = (
    u16,
    mpsc::UnboundedReceiver<Authorization>,
    mpsc::UnboundedReceiver<Verdict>,
);

pub(super) struct Fleet {
    /// The caller's finish: the clock fast-forwards.
    finishing: CancellationToken,
    clock: SimClock,
    /// Lanes stop scanning (the caller's finish, or time up).
    finish: CancellationToken,
    /// Dispensers fuel who is left, then end (once the lanes are done, or the caller's
    /// stop now).
    drain: CancellationToken,
    controls: HashMap<u16, mpsc::UnboundedSender<Control>>,
    lanes: Vec<JoinHandle<()>>,
    dispensers: Vec<JoinHandle<()>>,
}

impl Fleet {
    pub fn start(
        station: &StationCode,
        bus: &Bus,
        wiring: Vec<Wiring>,
        common: &Common,
        stop: &Stop,
    ) -> Self {
        let mut fleet = Self {
            finishing: stop.finish.clone(),
            clock: common.clock.clone(),
            finish: stop.finish.child_token(),
            drain: stop.now.child_token(),
            controls: HashMap::new(),
            lanes: Vec::new(),
            dispensers: Vec::new(),
        };
        for (lane, auths, verdicts) in wiring {
            let (control_tx, control) = mpsc::unbounded_channel();
            let (done, fills) = mpsc::unbounded_channel();
            fleet.controls.insert(lane, control_tx);
            let dispenser = VirtualDispenser {
                lane,
                publisher: EventPublisher::new(station, lane, bus.clone()),
                auths,
                control,
                done,
                clock: common.clock.clone(),
                faults: common.faults,
                fills: Arc::clone(&common.fills),
                tally: Arc::clone(&common.tally),
                forecourt: Arc::clone(&common.forecourt),
                price_paise_per_kg: common.price_paise_per_kg,
            };
            let ending = Ending {
                drain: fleet.drain.clone(),
                stop: stop.now.clone(),
            };
            fleet.dispensers.push(tokio::spawn(dispenser.run(ending)));
            let virtual_lane = VirtualLane {
                lane,
                scan_topic: Topic::lane(station, lane, LaneChannel::Scan).to_string(),
                bus: bus.clone(),
                tokens: Arc::clone(&common.tokens),
                verdicts,
                fills,
                clock: common.clock.clone(),
                verdict_timeout: common.verdict_timeout,
                tally: Arc::clone(&common.tally),
                forecourt: Arc::clone(&common.forecourt),
            };
            let finish = fleet.finish.clone();
            fleet.lanes.push(tokio::spawn(virtual_lane.run(finish)));
        }
        fleet
    }

    /// Forwards operator commands until the run is over: every lane done (or
    /// `duration` passed, which makes them finish), then every dispenser done.
    pub async fn run(
        self,
        mut commands: mpsc::UnboundedReceiver<Control>,
        duration: Option<Duration>,
    ) {
        let Self {
            finishing,
            clock,
            finish,
            drain,
            controls,
            lanes,
            dispensers,
        } = self;
        let fast_forward = async {
            finishing.cancelled().await;
            clock.fast_forward();
            std::future::pending::<()>().await;
        };
        let time_up = async {
            if let Some(d) = duration {
                tokio::time::sleep(d).await;
                finish.cancel();
            }
            std::future::pending::<()>().await;
        };
        let ends = async {
            for task in lanes {
                let _ = task.await;
            }
            finish.cancel();
            drain.cancel();
            for task in dispensers {
                let _ = task.await;
            }
        };
        let forward = async {
            while let Some(command) = commands.recv().await {
                match controls.get(&command.lane()) {
                    Some(tx) => {
                        let _ = tx.send(command);
                    }
                    None => tracing::warn!(lane = command.lane(), "no such simulated lane"),
                }
            }
            std::future::pending::<()>().await;
        };
        tokio::select! {
            () = ends => {}
            () = forward => {}
            () = time_up => {}
            () = fast_forward => {}
        }
    }
}
