//! Background upkeep the workers run: lapsed payment holds, no-shows, forgetting old
//! failed logins and expired idempotency keys, sealing the audit log and station
//! change logs (see `store/seal.rs`), and pruning the change logs (`store/prune.rs`). Each pass is a conditional update in the database
//! (claimed with `SKIP LOCKED` on PostgreSQL), so any number of replicas can run it and
//! every booking still changes state exactly once.

use chrono::{DateTime, Duration, Utc};

use super::App;
use crate::store::StoreError;

const BATCH: i64 = 200;

/// Expires lapsed holds and marks no-shows, in batches until none are left, then
/// forgets what no longer counts.
pub async fn bookings_pass(app: &App) -> Result<(), StoreError> {
    loop {
        let expired = app.store.expire_holds(Utc::now(), BATCH).await?;
        for b in &expired {
            tracing::info!(booking = %b.id, "payment hold lapsed; slot freed");
        }
        if (expired.len() as i64) < BATCH {
            break;
        }
    }
    while app.store.mark_no_shows(Utc::now(), BATCH).await?.len() as i64 == BATCH {}
    // Offered places not taken pass to the next driver waiting (or back to everyone).
    while app.store.expire_offers(Utc::now(), BATCH).await? as i64 == BATCH {}
    // Inbound SMS are counted for the hourly limit and calls for their one booking.
    app.store
        .prune_inbound_sms(Utc::now() - Duration::hours(6))
        .await?;
    let window = Duration::minutes(app.settings.rate_limits.login_failure_window_minutes);
    app.store.prune_login_attempts(Utc::now() - window).await?;
    app.store.prune_idempotency_keys(Utc::now()).await?;
    Ok(())
}

/// Seals committed audit entries and every station's committed changes.
pub async fn seal_pass(app: &App) -> Result<(), StoreError> {
    while app.store.seal_audit(1000).await? == 1000 {}
    app.store.seal_changes().await?;
    Ok(())
}

/// Prunes every station's change log below the oldest cursor its live devices hold,
/// and past what is older than `edge.change_log_retention_hours`, as of `now`.
pub async fn prune_pass(app: &App, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let retention = Duration::hours(app.settings.edge.change_log_retention_hours);
    let pruned = app.store.prune_change_logs(now - retention).await?;
    if pruned > 0 {
        tracing::info!(pruned, "station change logs pruned");
    }
    Ok(pruned)
}
