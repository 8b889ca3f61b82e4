//! A virtual lane: scans the next token, waits for the edge's verdict, and when it is
//! accepted waits for the fill the router authorised on the lane's virtual dispenser;
//! then the next vehicle moves up (30–60 simulated seconds).

use std::sync::Arc;
use std::time::Duration;

use gasq_shared::topics::{Scan, Verdict};
use rand::Rng;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Tally;
use super::dispenser::{FillOutcome, SimClock};
use super::tokens::TokenQueue;
use crate::mqtt::Bus;

pub(super) struct VirtualLane {
    pub lane: u16,
    pub scan_topic: String,
    pub bus: Bus,
    pub tokens: Arc<TokenQueue>,
    pub verdicts: mpsc::UnboundedReceiver<Verdict>,
    pub fills: mpsc::UnboundedReceiver<FillOutcome>,
    pub clock: SimClock,
    pub verdict_timeout: Duration,
    pub tally: Arc<Tally>,
}

impl VirtualLane {
    pub async fn run(mut self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let Some(token) = self.tokens.next_token() else {
                return;
            };
            // Outcomes of fills of drivers who scanned at other lanes and were sent to
            // this pump: they are counted at the pump; this lane waits only for its own.
            while self.fills.try_recv().is_ok() {}
            let scan_id = format!("{}-{}", self.lane, uuid::Uuid::now_v7());
            let scan = Scan {
                id: Some(scan_id.clone()),
                code: token,
            };
            let Ok(payload) = serde_json::to_vec(&scan) else {
                return;
            };
            let sent = std::time::Instant::now();
            self.bus.publish_scan(self.scan_topic.clone(), payload);
            self.tally.scan();
            let verdict = tokio::select! {
                () = stop.cancelled() => return,
                v = self.verdict_for(&scan_id) => v,
            };
            match verdict {
                None => {
                    tracing::warn!(lane = self.lane, %scan_id, "no verdict in time");
                    self.tally.no_verdict();
                }
                Some(v) => {
                    self.tally.latency(sent.elapsed());
                    self.tally.verdict(&v);
                    // The fill happens at the lane the edge sent the driver to; only
                    // when that is this lane does this lane's pump get the car.
                    if v.accepted && v.lane == Some(self.lane) {
                        self.wait_for_fill(&stop).await;
                    } else if v.accepted {
                        tracing::info!(lane = self.lane, sent_to = ?v.lane, "driver sent to another lane");
                    }
                }
            }
            let gap = rand::thread_rng().gen_range(30.0..60.0);
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.clock.sleep(gap) => {}
            }
        }
    }

    /// The verdict echoing `scan_id` (or naming no scan), within the timeout.
    async fn verdict_for(&mut self, scan_id: &str) -> Option<Verdict> {
        let deadline = tokio::time::Instant::now() + self.verdict_timeout;
        loop {
            let v = tokio::time::timeout_at(deadline, self.verdicts.recv())
                .await
                .ok()??;
            match v.scan_id.as_deref() {
                Some(id) if id != scan_id => continue,
                _ => return Some(v),
            }
        }
    }

    async fn wait_for_fill(&mut self, stop: &CancellationToken) {
        // The longest fill plus an automatic fault, with room to spare.
        let limit = self.clock.real(400.0) + Duration::from_secs(5);
        tokio::select! {
            () = stop.cancelled() => {}
            outcome = tokio::time::timeout(limit, self.fills.recv()) => match outcome {
                Ok(Some(FillOutcome::Completed)) => {}
                Ok(Some(other)) => tracing::info!(lane = self.lane, ?other, "fill did not complete"),
                Ok(None) | Err(_) => tracing::warn!(lane = self.lane, "dispenser never finished the fill"),
            }
        }
    }
}
