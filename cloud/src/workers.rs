//! Background work, on every replica: the bookings pass (lapsed payment holds,
//! no-shows, forgetting what no longer counts), the sealer and the change-log pruner. What each pass does is
//! the use case `app::upkeep`; this module only schedules them.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::{App, upkeep};

/// How often committed audit entries and station changes are sealed. Edges pulling
/// changes seal their station's on the spot; this keeps the rest current.
const SEAL_EVERY: Duration = Duration::from_secs(1);

/// Runs the bookings pass every `bookings.worker_interval_secs` until `shutdown`.
pub async fn run_holds(app: App, shutdown: CancellationToken) {
    let every = Duration::from_secs(app.settings.bookings.worker_interval_secs.max(1));
    every_tick(every, shutdown, "holds worker", || {
        upkeep::bookings_pass(&app)
    })
    .await;
}

/// Sends due refunds and captures lingering payments every
/// `payments.worker_interval_secs` until `shutdown`.
pub async fn run_money(app: App, shutdown: CancellationToken) {
    let every = Duration::from_secs(app.settings.payments.worker_interval_secs.max(1));
    every_tick(every, shutdown, "payments worker", || {
        crate::app::payments::pass::money_pass(&app)
    })
    .await;
}

/// Sends due notifications every `notifications.worker_interval_secs`.
pub async fn run_notifications(app: App, shutdown: CancellationToken) {
    let every = Duration::from_secs(app.settings.notifications.worker_interval_secs.max(1));
    every_tick(every, shutdown, "notifications worker", || async {
        // Drain a backlog before waiting for the next tick.
        while crate::app::notify::send_pass(&app).await? == crate::app::notify::BATCH as usize {}
        Ok::<_, crate::store::StoreError>(())
    })
    .await;
}

/// Compares the ledger with the gateway every `payments.reconcile_every_minutes`.
pub async fn run_reconciliation(app: App, shutdown: CancellationToken) {
    let minutes = u64::try_from(app.settings.payments.reconcile_every_minutes.max(1)).unwrap_or(60);
    every_tick(
        Duration::from_secs(60 * minutes),
        shutdown,
        "reconciliation",
        || async {
            let found = crate::app::payments::pass::reconcile(&app, chrono::Utc::now()).await?;
            if found.recovered > 0 || found.cases > 0 {
                tracing::warn!(
                    recovered = found.recovered,
                    cases = found.cases,
                    "reconciliation found differences"
                );
            }
            Ok::<_, anyhow::Error>(())
        },
    )
    .await;
}

/// How often the station change logs are pruned: their growth is slow, and a pass
/// visits every station with changes.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Prunes the station change logs every [`PRUNE_EVERY`] until `shutdown`.
pub async fn run_pruner(app: App, shutdown: CancellationToken) {
    every_tick(PRUNE_EVERY, shutdown, "pruner", || async {
        upkeep::prune_pass(&app, chrono::Utc::now()).await.map(drop)
    })
    .await;
}

/// Runs the sealer every second until `shutdown`.
pub async fn run_sealer(app: App, shutdown: CancellationToken) {
    every_tick(SEAL_EVERY, shutdown, "sealer", || upkeep::seal_pass(&app)).await;
}

/// Runs `pass` every `every` until `shutdown`; a failed pass is logged and retried on
/// the next tick.
async fn every_tick<F, Fut, E>(every: Duration, shutdown: CancellationToken, name: &str, pass: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if let Err(e) = pass().await {
            tracing::warn!(error = %e, "{name} pass failed; retrying next tick");
        }
    }
}
