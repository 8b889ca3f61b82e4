//! Store-and-forward sync with the cloud (client side of `docs/sync-protocol.md`).
//!
//! One task runs [`Syncer::run`]: a loop that pulls changes every `pull_interval`,
//! pushes the outbox whenever something is recorded, and after a failure waits a
//! jittered exponential backoff before trying again. [`SyncHandle`] lets status and
//! the bus see how fresh the edge is; "online" is never claimed without a recent
//! successful exchange.

pub mod backoff;
pub mod client;
pub mod pull;
pub mod push;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::db::kv;
use crate::queue::QueueService;
use crate::recorder::Recorder;
use crate::station::Station;
use client::{CloudClient, SyncError};

/// How long after an event is recorded the push starts.
const PUSH_GATHER: Duration = Duration::from_millis(100);

/// How the edge's link to the cloud is doing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncState {
    /// The last attempt succeeded.
    pub ok: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Cloud clock minus ours, from the last pull.
    pub clock_skew_ms: Option<i64>,
    pub consecutive_failures: u32,
}

/// Shared view of the sync state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SyncHandle {
    state: Arc<Mutex<SyncState>>,
    /// Signalled after every sync attempt (the status publisher listens).
    pub attempted: Arc<Notify>,
    stale_after: Duration,
}

impl SyncHandle {
    pub fn new(initial: SyncState, pull_interval: Duration) -> Self {
        Self {
            state: Arc::new(Mutex::new(initial)),
            attempted: Arc::new(Notify::new()),
            stale_after: pull_interval * 3 + Duration::from_secs(30),
        }
    }

    pub fn state(&self) -> SyncState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Online means: the last attempt worked and it was recent.
    pub fn online(&self) -> bool {
        let s = self.state();
        let fresh = s
            .last_sync_at
            .is_some_and(|t| (Utc::now() - t).to_std().unwrap_or_default() <= self.stale_after);
        s.ok && fresh
    }

    fn update(&self, f: impl FnOnce(&mut SyncState)) {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()));
        self.attempted.notify_waiters();
    }
}

/// Tuning of the loop (from `Settings`).
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub pull_interval: Duration,
    pub backoff_max: Duration,
    pub batch: usize,
    pub poison_attempts: u32,
}

/// The sync component.
#[derive(Debug)]
pub struct Syncer {
    pub client: CloudClient,
    pub recorder: Recorder,
    pub station: Arc<Station>,
    pub queue: QueueService,
    pub handle: SyncHandle,
    pub options: SyncOptions,
}

impl Syncer {
    /// Runs until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        let outbox_changed = self.recorder.outbox_changed();
        let mut next_pull = Instant::now();
        let mut failures: u32 = 0;
        loop {
            let pull_due = Instant::now() >= next_pull;
            let result = if pull_due {
                self.round().await
            } else {
                self.push().await
            };
            let wait_until = match result {
                Ok(()) => {
                    failures = 0;
                    if pull_due {
                        next_pull = Instant::now() + self.options.pull_interval;
                    }
                    next_pull
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff::delay(failures, self.options.backoff_max);
                    tracing::warn!(error = %e, retry_in = ?wait, "sync with the cloud failed");
                    self.failed(&e, failures).await;
                    next_pull = Instant::now() + wait;
                    next_pull
                }
            };
            tokio::select! {
                _ = tokio::time::sleep_until(wait_until) => {}
                _ = outbox_changed.notified(), if failures == 0 => {
                    // Let a burst of events gather into one push (and one commit of
                    // acks on the database thread the lanes also need).
                    tokio::select! {
                        _ = tokio::time::sleep(PUSH_GATHER) => {}
                        _ = stop.cancelled() => return,
                    }
                }
                _ = stop.cancelled() => return,
            }
        }
    }

    /// Pull everything, then push everything.
    async fn round(&self) -> Result<(), SyncError> {
        let db = self.recorder.db();
        let pulled = pull::pull(&self.client, db).await?;
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
        self.push_outbox().await?;
        let now = Utc::now();
        let good = self.client.clock().reference();
        db.call(move |c| {
            pull::prune(c, now)?;
            kv::set(c, kv::keys::LAST_SYNC_AT, &now, now)?;
            if let Some(good) = good {
                kv::set(c, kv::keys::LAST_GOOD_TIME, &good, now)?;
            }
            kv::delete(c, kv::keys::LAST_SYNC_ERROR)
        })
        .await?;
        self.synced(now, Some(pulled.skew_ms));
        Ok(())
    }

    /// Pushes the outbox. It counts as a sync only if the cloud answered a batch: with
    /// nothing to send no request is made, and that proves nothing about the link.
    async fn push(&self) -> Result<(), SyncError> {
        let pushed = self.push_outbox().await?;
        if pushed.sent > 0 {
            self.synced(Utc::now(), None);
        }
        Ok(())
    }

    async fn push_outbox(&self) -> Result<push::Pushed, SyncError> {
        let (batch, attempts) = (self.options.batch, self.options.poison_attempts);
        push::push(&self.client, self.recorder.db(), batch, attempts).await
    }

    /// Records a successful exchange with the cloud at `now`.
    // IMPORTANT: only call this after the cloud answered: "online" and the last sync are
    // never claimed without contact (docs/sync-protocol.md, "Freshness").
    fn synced(&self, now: DateTime<Utc>, skew_ms: Option<i64>) {
        self.handle.update(|s| {
            s.ok = true;
            s.last_sync_at = Some(now);
            s.last_error = None;
            s.consecutive_failures = 0;
            if skew_ms.is_some() {
                s.clock_skew_ms = skew_ms;
            }
        });
    }

    async fn failed(&self, e: &SyncError, failures: u32) {
        let text = e.to_string();
        let first = failures == 1;
        self.handle.update(|s| {
            s.ok = false;
            s.last_error = Some(text.clone());
            s.consecutive_failures = failures;
        });
        if first {
            let now = Utc::now();
            let saved = self
                .recorder
                .db()
                .call(move |c| kv::set(c, kv::keys::LAST_SYNC_ERROR, &text, now))
                .await;
            if let Err(e) = saved {
                tracing::error!(error = %e, "cannot save the sync error");
            }
        }
    }
}

/// The sync state as saved in the database (for a fresh start, `status` and doctor).
pub async fn saved_state(db: &crate::db::Db) -> Result<SyncState, crate::db::DbError> {
    db.call(|c| {
        Ok(SyncState {
            ok: false,
            last_sync_at: kv::get(c, kv::keys::LAST_SYNC_AT)?,
            last_error: kv::get(c, kv::keys::LAST_SYNC_ERROR)?,
            clock_skew_ms: kv::get(c, kv::keys::CLOCK_SKEW_MS)?,
            consecutive_failures: 0,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Db, Mode};
    use crate::device::{self, Device};
    use gasq_shared::sync::StationConfig;
    use gasq_shared::{DeviceId, StationCode, StationId};

    /// A syncer whose cloud cannot exist (`.invalid` never resolves, RFC 6761): the
    /// tests using it must not need an answer.
    async fn syncer_without_a_cloud(dir: &std::path::Path) -> Syncer {
        let db = Db::open(&dir.join("edge.db"), Mode::ReadWrite).unwrap();
        let recorder = Recorder::new(db);
        let config = StationConfig {
            station_id: StationId::new(1).unwrap(),
            code: StationCode::parse("SYN-0001").unwrap(),
            name: "test".into(),
            policy: gasq_shared::policy::StationPolicy::with_lanes(1),
        };
        let queue = QueueService::load(recorder.clone(), 1, 4).await.unwrap();
        let device = Device::new(DeviceId::new(), device::generate()).unwrap();
        let url = "http://gasq-cloud.invalid";
        Syncer {
            client: CloudClient::new(client::http_client(), url, device),
            recorder,
            station: Arc::new(Station::new(config, Default::default())),
            queue,
            handle: SyncHandle::new(SyncState::default(), Duration::from_secs(60)),
            options: SyncOptions {
                pull_interval: Duration::from_secs(60),
                backoff_max: Duration::from_secs(1),
                batch: 10,
                poison_attempts: 3,
            },
        }
    }

    #[tokio::test]
    async fn an_empty_push_does_not_count_as_a_sync() {
        let dir = tempfile::tempdir().unwrap();
        let syncer = syncer_without_a_cloud(dir.path()).await;
        // Nothing to send: no request is made, so nothing is learnt about the link.
        syncer.push().await.unwrap();
        let state = syncer.handle.state();
        assert_eq!(state.last_sync_at, None, "{state:?}");
        assert!(!state.ok && !syncer.handle.online(), "{state:?}");
    }
}
