//! Store-and-forward sync with the cloud (client side of `docs/sync-protocol.md`).
//!
//! Two loops run side by side ([`Syncer::run`], in `run.rs`): the pull loop long-polls
//! the station's change log, so a cancellation reaches the lanes as soon as the cloud
//! has it (invariant 10, docs/architecture.md); the push loop sends the outbox whenever
//! something is recorded. Each backs off on its own after a failure. [`SyncHandle`] lets
//! status and the bus see how fresh the edge is: "online" means the last pull was
//! recent and neither direction is failing — a push that works proves nothing about
//! revocations, so it never makes the edge look fresh.

pub mod backoff;
pub mod client;
pub mod pull;
pub mod push;
mod run;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::Notify;

use crate::db::kv;
use crate::queue::QueueService;
use crate::recorder::Recorder;
use crate::station::Station;
use client::CloudClient;

/// How the edge's link to the cloud is doing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncState {
    /// Neither the pull nor the push is failing.
    pub ok: bool,
    /// The last successful pull: the edge knew every change of the cloud then.
    pub last_pull_at: Option<DateTime<Utc>>,
    /// The last batch the cloud acknowledged.
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Cloud clock minus ours, from the last pull.
    pub clock_skew_ms: Option<i64>,
    pub consecutive_failures: u32,
    #[serde(skip)]
    pub pull_failing: bool,
    #[serde(skip)]
    pub push_failing: bool,
}

/// Which way a sync exchange went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Pull,
    Push,
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
    /// `pull_every`: the longest a healthy edge goes between two pulls (the long poll's
    /// wait, or the pull interval if longer).
    pub fn new(initial: SyncState, pull_every: Duration) -> Self {
        Self {
            state: Arc::new(Mutex::new(initial)),
            attempted: Arc::new(Notify::new()),
            stale_after: pull_every * 2 + Duration::from_secs(30),
        }
    }

    pub fn state(&self) -> SyncState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Online means: nothing is failing and the last pull was recent.
    pub fn online(&self) -> bool {
        let s = self.state();
        let fresh = s
            .last_pull_at
            .is_some_and(|t| (Utc::now() - t).to_std().unwrap_or_default() <= self.stale_after);
        s.ok && fresh
    }

    fn update(&self, f: impl FnOnce(&mut SyncState)) {
        {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut s);
            s.ok = !s.pull_failing && !s.push_failing;
        }
        self.attempted.notify_waiters();
    }

    /// Records an exchange the cloud answered.
    // IMPORTANT: only after the cloud answered: "online" and the last pull are never
    // claimed without contact (docs/sync-protocol.md, "Freshness").
    pub(crate) fn succeeded(&self, way: Direction, now: DateTime<Utc>, skew_ms: Option<i64>) {
        self.update(|s| {
            match way {
                Direction::Pull => {
                    s.pull_failing = false;
                    s.last_pull_at = Some(now);
                }
                Direction::Push => {
                    s.push_failing = false;
                    s.last_push_at = Some(now);
                }
            }
            if !s.pull_failing && !s.push_failing {
                s.last_error = None;
                s.consecutive_failures = 0;
            }
            if skew_ms.is_some() {
                s.clock_skew_ms = skew_ms;
            }
        });
    }

    /// Records a failed exchange (`failures` in a row in that direction).
    pub(crate) fn failed(&self, way: Direction, error: String, failures: u32) {
        self.update(|s| {
            match way {
                Direction::Pull => s.pull_failing = true,
                Direction::Push => s.push_failing = true,
            }
            s.last_error = Some(error);
            s.consecutive_failures = s.consecutive_failures.max(failures);
        });
    }
}

/// Tuning of the loops (from `Settings`).
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The least time between two pulls that brought nothing (a cloud that answers at
    /// once instead of holding the request).
    pub pull_interval: Duration,
    /// How long the cloud may hold a pull waiting for a change (the long poll).
    pub pull_wait: Duration,
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

/// The sync state as saved in the database (for a fresh start, `status` and doctor).
pub async fn saved_state(db: &crate::db::Db) -> Result<SyncState, crate::db::DbError> {
    db.call(|c| {
        Ok(SyncState {
            ok: false,
            last_pull_at: kv::get(c, kv::keys::LAST_SYNC_AT)?,
            last_push_at: kv::get(c, kv::keys::LAST_PUSH_AT)?,
            last_error: kv::get(c, kv::keys::LAST_SYNC_ERROR)?,
            clock_skew_ms: kv::get(c, kv::keys::CLOCK_SKEW_MS)?,
            consecutive_failures: 0,
            pull_failing: false,
            push_failing: false,
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
                pull_wait: Duration::from_secs(25),
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
        assert_eq!(
            (state.last_pull_at, state.last_push_at),
            (None, None),
            "{state:?}"
        );
        assert!(!state.ok && !syncer.handle.online(), "{state:?}");
    }
}
