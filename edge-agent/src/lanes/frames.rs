//! Camera frames on a lane, with bounded work (docs/edge.md "The station bus"): a lane
//! keeps only its newest waiting frame — a newer one replaces it, and the one replaced
//! is shed and counted (`frames_shed`) — and frames are decoded by a pool of at most one
//! decoder per core, off the async workers. A camera (or a phone) flooding every lane
//! with frames therefore holds at most one frame per lane and a core's worth of
//! decoders, never a queue; the lane's scans keep their own worker and are answered
//! meanwhile. A frame over the pixel or byte budget is refused from its header
//! (`gasq_shared::frames`), before any pixel buffer exists.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use gasq_shared::frames;
use gasq_shared::topics::Verdict;
use tokio::sync::Notify;

use super::{LaneContext, publish_verdict};
use crate::db::DbError;
use crate::metrics::Counters;
use crate::redemptions::Via;

/// How many frames may be decoded at once: one per core.
pub fn decoders() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// A lane's newest waiting frame, and its worker's wake-up.
#[derive(Debug, Default)]
pub struct FrameSlot {
    latest: Mutex<Option<Bytes>>,
    ready: Notify,
    closed: AtomicBool,
}

impl FrameSlot {
    /// Hands a frame to the lane; `true` when it replaced one still waiting (shed).
    pub fn offer(&self, frame: Bytes) -> bool {
        let shed = self
            .latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(frame)
            .is_some();
        self.ready.notify_one();
        shed
    }

    /// Ends the lane's frame worker.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.ready.notify_one();
    }

    fn take(&self) -> Option<Bytes> {
        self.latest.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Starts the frame worker of `lane`; returns its slot.
pub fn spawn(lane: u16, ctx: Arc<LaneContext>) -> Arc<FrameSlot> {
    let slot = Arc::new(FrameSlot::default());
    let worker = slot.clone();
    tokio::spawn(async move {
        loop {
            worker.ready.notified().await;
            if worker.closed.load(Ordering::Relaxed) {
                return;
            }
            let Some(frame) = worker.take() else { continue };
            match judge(&ctx, lane, frame).await {
                Ok(verdict) => publish_verdict(&ctx, lane, &verdict),
                Err(e) => {
                    Counters::bump(&ctx.counters.internal_errors);
                    tracing::error!(lane, error = %e, "no verdict: the database failed");
                }
            }
        }
    });
    slot
}

/// The verdict for one frame: decoded in the pool, then validated like a scan.
async fn judge(ctx: &LaneContext, lane: u16, payload: Bytes) -> Result<Verdict, DbError> {
    let texts = {
        // The permit bounds the decoders running at once; it is held until done.
        let Ok(_permit) = ctx.decoders.acquire().await else {
            return ctx.validator.malformed(Some(lane), None).await;
        };
        tokio::task::spawn_blocking(move || frames::decode_frame(&payload)).await
    };
    let texts = match texts {
        Ok(Ok(texts)) => texts,
        Ok(Err(e)) => {
            tracing::debug!(lane, error = %e, "unreadable frame");
            return ctx.validator.malformed(Some(lane), None).await;
        }
        Err(e) => {
            tracing::error!(lane, error = %e, "frame decoder failed");
            return ctx.validator.malformed(Some(lane), None).await;
        }
    };
    // A frame may show more than one code; a GasQ token wins over anything else.
    let text = texts
        .iter()
        .find(|t| t.starts_with(gasq_shared::token::PREFIX))
        .or(texts.first());
    match text {
        Some(text) => {
            ctx.validator
                .validate_token(text, Some(lane), None, Via::Frame)
                .await
        }
        None => ctx.validator.malformed(Some(lane), None).await,
    }
}
