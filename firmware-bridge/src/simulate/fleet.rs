//! The simulated lanes as a whole: starts a virtual dispenser and a virtual lane per
//! lane number, passes operator commands to the right dispenser, and waits for the end
//! (tokens used up, time up, or stop).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use gasq_shared::StationCode;
use gasq_shared::topics::{LaneChannel, Topic, Verdict};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::dispenser::VirtualDispenser;
use super::lane::VirtualLane;
use super::{Common, Control};
use crate::drivers::dispenser::{Authorization, EventPublisher};
use crate::mqtt::Bus;

/// Per lane: its number, the router's authorisations and verdicts for it.
pub(super) type Wiring = (
    u16,
    mpsc::UnboundedReceiver<Authorization>,
    mpsc::UnboundedReceiver<Verdict>,
);

pub(super) struct Fleet {
    /// Stops the lanes and dispensers (a child of the caller's stop).
    stop: CancellationToken,
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
        stop: &CancellationToken,
    ) -> Self {
        let stop = stop.child_token();
        let mut fleet = Self {
            stop: stop.clone(),
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
                clock: common.clock,
                faults: common.faults,
                fills: Arc::clone(&common.fills),
                tally: Arc::clone(&common.tally),
                price_paise_per_kg: common.price_paise_per_kg,
            };
            fleet
                .dispensers
                .push(tokio::spawn(dispenser.run(stop.clone())));
            let virtual_lane = VirtualLane {
                lane,
                scan_topic: Topic::lane(station, lane, LaneChannel::Scan).to_string(),
                bus: bus.clone(),
                tokens: Arc::clone(&common.tokens),
                verdicts,
                fills,
                clock: common.clock,
                verdict_timeout: common.verdict_timeout,
                tally: Arc::clone(&common.tally),
            };
            fleet
                .lanes
                .push(tokio::spawn(virtual_lane.run(stop.clone())));
        }
        fleet
    }

    /// Forwards operator commands until every lane is done, `duration` passes, or the
    /// caller's stop; then stops the dispensers and waits for them.
    pub async fn run(
        self,
        mut commands: mpsc::UnboundedReceiver<Control>,
        duration: Option<Duration>,
    ) {
        let Self {
            stop,
            controls,
            lanes,
            dispensers,
        } = self;
        let all_lanes = async {
            for task in lanes {
                let _ = task.await;
            }
        };
        let time_up = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
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
            () = all_lanes => {}
            () = time_up => {}
            () = stop.cancelled() => {}
            () = forward => {}
        }
        stop.cancel();
        for task in dispensers {
            let _ = task.await;
        }
    }
}
