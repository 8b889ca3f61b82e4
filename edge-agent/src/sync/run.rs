//! The two sync loops: the pull loop (a long poll on the station's change log) and the
//! push loop (the outbox, sent as soon as something is recorded). They run side by side
//! so that a slow or failing push never delays a revocation, and a pull held in the
//! cloud never delays an event.

use chrono::Utc;
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use super::client::SyncError;
use super::{Direction, Syncer, backoff, pull, push};
use crate::db::kv;

/// How long after an event is recorded the push starts: a burst gathers into one push
/// (and one commit of acks on the database thread the lanes also need).
const PUSH_GATHER: Duration = Duration::from_millis(100);

/// A pull answered this close to its full wait was held by the cloud.
const HELD_SLACK: Duration = Duration::from_secs(1);

impl Syncer {
    /// Runs both loops until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        let pushed = Notify::new();
        tokio::join!(
            self.pull_loop(&stop, &pushed),
            self.push_loop(&stop, &pushed)
        );
    }

    /// `pushed` fires when a push settled a batch: a pull held in the cloud then carries
    /// an outbox depth from before it, so it is asked again at once with the depth as it
    /// is now (the dashboard's view of the box's backlog is otherwise up to a long poll
    /// behind).
    async fn pull_loop(&self, stop: &CancellationToken, pushed: &Notify) {
        let mut failures: u32 = 0;
        // A pull held in the cloud says nothing until it answers: at start and after a
        // failure, a quick pull confirms contact (and "online") before long polls resume.
        let mut in_contact = false;
        loop {
            let started = Instant::now();
            let wait = if in_contact {
                self.options.pull_wait
            } else {
                Duration::ZERO
            };
            let result = tokio::select! {
                r = self.pull(wait) => r,
                () = pushed.notified(), if !wait.is_zero() => continue,
                () = stop.cancelled() => return,
            };
            let next = match result {
                // Something came, or contact is just confirmed: ask again at once.
                Ok(changes) if changes > 0 || !in_contact => {
                    (failures, in_contact) = (0, true);
                    Instant::now()
                }
                // Nothing came after the cloud held the request: ask again at once.
                Ok(_) if !wait.is_zero() && started.elapsed() + HELD_SLACK >= wait => {
                    Instant::now()
                }
                // Nothing came, at once (a cloud that does not hold requests): at most
                // one such pull per `pull_interval`.
                Ok(_) => started + self.options.pull_interval,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    in_contact = false;
                    Instant::now() + self.failed(Direction::Pull, &e, failures).await
                }
            };
            tokio::select! {
                () = tokio::time::sleep_until(next) => {}
                () = stop.cancelled() => return,
            }
        }
    }

    async fn push_loop(&self, stop: &CancellationToken, pushed: &Notify) {
        let outbox_changed = self.recorder.outbox_changed();
        let mut failures: u32 = 0;
        loop {
            let retry_at = match self.push().await {
                Ok(settled) => {
                    failures = 0;
                    if settled {
                        pushed.notify_one();
                    }
                    None
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    Some(Instant::now() + self.failed(Direction::Push, &e, failures).await)
                }
            };
            // While failing, only the backoff decides; otherwise the next recorded event
            // (or, as a safety net, the pull interval) starts the next push.
            let wake_at = retry_at.unwrap_or_else(|| Instant::now() + self.options.pull_interval);
            tokio::select! {
                () = tokio::time::sleep_until(wake_at) => {}
                () = outbox_changed.notified(), if retry_at.is_none() => {
                    tokio::select! {
                        () = tokio::time::sleep(PUSH_GATHER) => {}
                        () = stop.cancelled() => return,
                    }
                }
                () = stop.cancelled() => return,
            }
        }
    }

    /// Pulls every change (the cloud holding the request up to `wait` while there is
    /// none) and puts it to use. Returns how many changes came.
    pub(super) async fn pull(&self, wait: Duration) -> Result<usize, SyncError> {
        let db = self.recorder.db();
        let pulled = pull::pull(&self.client, db, wait).await?;
        if let Some(keys) = pulled.keys {
            tracing::info!(keys = keys.len(), "token key set updated");
            self.station.set_keys(keys);
        }
        if let Some(config) = pulled.station {
            if config.code != self.station.config().code {
                tracing::warn!(new = %config.code, "the station code changed: restart gasq-edge to use the new bus topics");
            }
            self.queue
                .resize(config.policy.lanes, config.policy.service_minutes);
            self.station.set_config(config);
        }
        let now = Utc::now();
        // The cloud's time as last learnt: a clock set back later cannot go below it.
        let good = self.client.clock().reference();
        db.call(move |c| {
            pull::prune(c, now)?;
            if let Some(good) = good {
                kv::set(c, kv::keys::LAST_GOOD_TIME, &good, now)?;
            }
            kv::set(c, kv::keys::LAST_SYNC_AT, &now, now)
        })
        .await?;
        self.handle
            .succeeded(Direction::Pull, now, Some(pulled.skew_ms));
        self.forget_saved_error().await;
        Ok(pulled.changes)
    }

    /// Pushes the outbox. It counts as an exchange only if the cloud answered a batch:
    /// with nothing to send no request is made, and that proves nothing about the link.
    /// Returns whether a batch was settled.
    pub(super) async fn push(&self) -> Result<bool, SyncError> {
        let (batch, attempts) = (self.options.batch, self.options.poison_attempts);
        let pushed = push::push(&self.client, self.recorder.db(), batch, attempts).await?;
        // `last_push_at` was stored with the batch it dates.
        if let Some(at) = pushed.settled_at {
            self.handle.succeeded(Direction::Push, at, None);
            self.forget_saved_error().await;
            return Ok(true);
        }
        Ok(false)
    }

    /// Once nothing fails any more, the saved error goes (status and doctor read it).
    async fn forget_saved_error(&self) {
        if !self.handle.state().ok {
            return;
        }
        let forgotten = self
            .recorder
            .db()
            .call(|c| kv::delete(c, kv::keys::LAST_SYNC_ERROR))
            .await;
        if let Err(e) = forgotten {
            tracing::error!(error = %e, "cannot clear the saved sync error");
        }
    }

    /// Records a failure; returns how long to back off.
    async fn failed(&self, way: Direction, e: &SyncError, failures: u32) -> Duration {
        let text = e.to_string();
        let wait = backoff::delay(failures, self.options.backoff_max);
        tracing::warn!(error = %text, direction = ?way, retry_in = ?wait, "sync with the cloud failed");
        self.handle.failed(way, text.clone(), failures);
        if failures > 1 {
            return wait;
        }
        let now = Utc::now();
        let saved = self
            .recorder
            .db()
            .call(move |c| kv::set(c, kv::keys::LAST_SYNC_ERROR, &text, now))
            .await;
        if let Err(e) = saved {
            tracing::error!(error = %e, "cannot save the sync error");
        }
        wait
    }
}
