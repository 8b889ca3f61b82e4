//! Background work: lapsed payment holds, no-shows, forgetting old failed logins and
//! expired idempotency keys, and the sealer that numbers audit entries and station
//! changes (see `store/seal.rs`). Each pass is a conditional update in the database
//! (claimed with `SKIP LOCKED` on PostgreSQL), so any number of replicas can run this
//! loop and every booking still changes state exactly once.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

const BATCH: i64 = 200;

/// Runs until `shutdown` fires.
pub async fn run_holds(state: AppState, shutdown: CancellationToken) {
    let every = Duration::from_secs(state.settings.bookings.worker_interval_secs.max(1));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if let Err(e) = pass(&state).await {
            tracing::warn!(error = %e, "holds worker pass failed; retrying next tick");
        }
    }
}

/// One pass: expire lapsed holds and mark no-shows, in batches until none are left.
pub async fn pass(state: &AppState) -> anyhow::Result<()> {
    loop {
        let expired = state.store.expire_holds(Utc::now(), BATCH).await?;
        for b in &expired {
            tracing::info!(booking = %b.id, "payment hold lapsed; slot freed");
        }
        if (expired.len() as i64) < BATCH {
            break;
        }
    }
    loop {
        let missed = state.store.mark_no_shows(Utc::now(), BATCH).await?;
        if (missed.len() as i64) < BATCH {
            break;
        }
    }
    let window = chrono::Duration::minutes(state.settings.rate_limits.login_failure_window_minutes);
    state
        .store
        .prune_login_failures(Utc::now() - window)
        .await?;
    state.store.prune_idempotency_keys(Utc::now()).await?;
    Ok(())
}

/// How often committed audit entries and station changes are sealed.
const SEAL_EVERY: Duration = Duration::from_secs(1);

/// Seals audit entries and station changes every second until `shutdown` fires. Edges
/// pulling changes seal their station's on the spot; this keeps the rest current.
pub async fn run_sealer(state: AppState, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(SEAL_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if let Err(e) = seal(&state).await {
            tracing::warn!(error = %e, "sealer pass failed; retrying next tick");
        }
    }
}

/// One sealing pass.
pub async fn seal(state: &AppState) -> anyhow::Result<()> {
    while state.store.seal_audit(1000).await? == 1000 {}
    state.store.seal_changes().await?;
    Ok(())
}
