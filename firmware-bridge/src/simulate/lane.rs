//! A virtual lane: the next vehicle moves up (30–60 simulated seconds, except for the
//! lane's first; and not while a driver waits for this lane's pump), scans its token
//! and waits for the edge's verdict. An accepted driver
//! goes where the verdict sends them: sent to this lane's pump, they stay in the lane
//! until their fill is done; sent to another lane, they drive over (that lane's
//! dispenser was authorised by the router and fuels them) and this lane takes the
//! next vehicle.

use std::sync::Arc;
use std::time::Duration;

use gasq_shared::BookingId;
use gasq_shared::topics::{Scan, Verdict};
use rand::Rng;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Tally;
use super::dispenser::{FillOutcome, FillReport, SimClock};
use super::forecourt::Forecourt;
use super::tokens::TokenQueue;
use crate::mqtt::Bus;

/// How long (simulated) a driver waits for their fill at this lane's pump before the
/// lane gives up on them: drivers sent here from other lanes may be ahead.
const FILL_PATIENCE: f64 = 30.0 * 60.0;

pub(super) struct VirtualLane {
    pub lane: u16,
    pub scan_topic: String,
    pub bus: Bus,
    pub tokens: Arc<TokenQueue>,
    pub verdicts: mpsc::UnboundedReceiver<Verdict>,
    /// Fills done at this lane's pump (for whichever lane's drivers).
    pub fills: mpsc::UnboundedReceiver<FillReport>,
    pub clock: SimClock,
    pub verdict_timeout: Duration,
    pub tally: Arc<Tally>,
    pub forecourt: Arc<Forecourt>,
}

impl VirtualLane {
    /// Scans until the tokens run out or `finish` (a stop cancels it too).
    pub async fn run(mut self, finish: CancellationToken) {
        let mut first = true;
        loop {
            let token = tokio::select! {
                () = finish.cancelled() => return,
                token = self.tokens.next_token() => token,
            };
            let Some(token) = token else { return };
            if !std::mem::take(&mut first) {
                let gap = rand::thread_rng().gen_range(30.0..60.0);
                tokio::select! {
                    () = finish.cancelled() => return,
                    () = self.clock.sleep(gap) => {}
                }
            }
            // A driver waiting for this lane's pump stands in front of its scanner.
            tokio::select! {
                () = finish.cancelled() => return,
                () = self.forecourt.clear(self.lane) => {}
            }
            let Some(verdict) = self.scan(token).await else {
                continue;
            };
            if let (true, Some(lane)) = (verdict.accepted, verdict.lane) {
                self.forecourt.joins(lane);
            }
            match (verdict.accepted, verdict.lane) {
                (false, _) => {}
                (true, Some(lane)) if lane == self.lane => {
                    if let Some(booking) = verdict.booking_id {
                        tokio::select! {
                            () = finish.cancelled() => return,
                            () = self.wait_for_fill(booking) => {}
                        }
                    }
                }
                (true, Some(lane)) => {
                    tracing::info!(lane = self.lane, sent_to = lane, booking = ?verdict.booking_id, "driver sent to another lane");
                }
                (true, None) => {
                    tracing::warn!(lane = self.lane, booking = ?verdict.booking_id, "accepted, but no lane is up: the driver waits for the attendant");
                }
            }
        }
    }

    /// Publishes a scan of `token` and waits for its verdict (counted either way).
    async fn scan(&mut self, token: String) -> Option<Verdict> {
        let scan_id = format!("{}-{}", self.lane, uuid::Uuid::now_v7());
        let scan = Scan {
            id: Some(scan_id.clone()),
            code: token,
        };
        let payload = serde_json::to_vec(&scan).ok()?;
        // Reports of earlier fills at this pump (drivers from other lanes): this scan's
        // driver, if sent here, is authorised only after the scan goes out.
        while self.fills.try_recv().is_ok() {}
        let sent = std::time::Instant::now();
        self.bus.publish_scan(self.scan_topic.clone(), payload);
        self.tally.scan();
        let verdict = self.verdict_for(&scan_id).await;
        match &verdict {
            None => {
                tracing::warn!(lane = self.lane, %scan_id, "no verdict in time");
                self.tally.no_verdict();
            }
            Some(v) => {
                self.tally.latency(sent.elapsed());
                self.tally.verdict(v);
            }
        }
        verdict
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

    /// Waits until this lane's pump has fuelled `booking` (drivers from other lanes who
    /// were sent here earlier go first).
    async fn wait_for_fill(&mut self, booking: BookingId) {
        let limit = self.clock.real(FILL_PATIENCE) + Duration::from_secs(5);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.fills.recv()).await {
                Ok(Some(report)) if report.booking == Some(booking) => {
                    if report.outcome != FillOutcome::Completed {
                        tracing::info!(lane = self.lane, outcome = ?report.outcome, "fill did not complete");
                    }
                    return;
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    tracing::warn!(lane = self.lane, %booking, "the pump never fuelled this driver");
                    return;
                }
            }
        }
    }
}
