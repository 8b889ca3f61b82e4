//! Wake-ups for held pulls: an edge's `GET /api/v1/edge/changes?wait=` waits here until
//! its station's change log grows (docs/sync-protocol.md, "Freshness"; invariant 10 in
//! docs/architecture.md).
//!
//! A transaction that logs a station change wakes that station's waiters once it has
//! committed ([`super::Tx::station_changed`]). On PostgreSQL it also sends
//! `NOTIFY gasq_station_changes` with the station id, delivered at commit to every
//! replica's listener ([`listen`]), so a cancellation made on one replica wakes the pulls
//! held by all of them. A listener that loses its connection wakes every waiter (it may
//! have missed a notification; a waiter that finds nothing new simply waits again).
//!
//! SQLite has no notifications, and other processes write to the same file (the CLI:
//! `gasq-cloud demo-traffic`, `device revoke`, `keys rotate`): [`poll_sqlite`] looks for
//! new change-log rows once a second and wakes their stations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasq_shared::StationId;
use sqlx::postgres::PgListener;
use sqlx::{PgPool, SqlitePool};
use tokio::sync::watch;

/// The PostgreSQL channel station changes are announced on (payload: the station id).
pub const CHANNEL: &str = "gasq_station_changes";

/// One wake-up counter per station with someone waiting.
#[derive(Debug, Default)]
pub struct Wakeups {
    stations: Mutex<HashMap<StationId, watch::Sender<u64>>>,
}

/// What a waiter holds: resolves on the next wake-up after it was taken.
pub type ChangeSignal = watch::Receiver<u64>;

impl Wakeups {
    /// A signal for `station`. Take it *before* reading the change log: a change that
    /// commits after the read then still wakes the waiter.
    pub fn subscribe(&self, station: StationId) -> ChangeSignal {
        let mut stations = self.stations.lock().unwrap_or_else(|p| p.into_inner());
        stations
            .entry(station)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Wakes `station`'s waiters.
    pub fn wake(&self, station: StationId) {
        let mut stations = self.stations.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = stations.get(&station) {
            if sender.receiver_count() == 0 {
                // Nobody waits: forget the station until someone does.
                stations.remove(&station);
            } else {
                sender.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// Wakes every waiter (after a notification may have been missed).
    pub fn wake_all(&self) {
        let mut stations = self.stations.lock().unwrap_or_else(|p| p.into_inner());
        stations.retain(|_, sender| sender.receiver_count() > 0);
        for sender in stations.values() {
            sender.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// Listens for other replicas' station changes until the pool closes.
pub(super) async fn listen(pool: PgPool, wakeups: Arc<Wakeups>) {
    while !pool.is_closed() {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => relay(&mut listener, &wakeups).await,
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN for station changes"),
            },
            Err(e) if pool.is_closed() => {
                tracing::debug!(error = %e, "database closed; station-change listener ends");
                return;
            }
            Err(e) => tracing::warn!(error = %e, "station-change listener cannot connect"),
        }
        // Whatever happened, waiters may have missed a change: let them look.
        wakeups.wake_all();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// How often the SQLite poller looks for changes other processes wrote.
const SQLITE_POLL: Duration = Duration::from_secs(1);

/// Wakes the stations of change-log rows that appear in the SQLite file, until the pool
/// closes: one indexed read a second, whoever wrote them.
pub(super) async fn poll_sqlite(pool: SqlitePool, wakeups: Arc<Wakeups>) {
    let newest = "SELECT COALESCE(MAX(id), 0) FROM station_changes";
    let mut seen: i64 = match sqlx::query_scalar(newest).fetch_one(&pool).await {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the change log; held pulls answer at their deadline");
            return;
        }
    };
    let after = "SELECT id, station_id FROM station_changes WHERE id > ?1 ORDER BY id LIMIT 1000";
    while !pool.is_closed() {
        tokio::time::sleep(SQLITE_POLL).await;
        let rows: Vec<(i64, i64)> = match sqlx::query_as(after).bind(seen).fetch_all(&pool).await {
            Ok(rows) => rows,
            Err(e) if pool.is_closed() => return tracing::debug!(error = %e, "database closed"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the change log for wake-ups");
                continue;
            }
        };
        for (id, station) in rows {
            seen = seen.max(id);
            if let Some(station) = u32::try_from(station)
                .ok()
                .and_then(|s| StationId::new(s).ok())
            {
                wakeups.wake(station);
            }
        }
    }
}

/// Passes notifications on until the listener fails.
async fn relay(listener: &mut PgListener, wakeups: &Wakeups) {
    // Listening only now: a change committed before may have gone unheard.
    wakeups.wake_all();
    loop {
        match listener.try_recv().await {
            Ok(Some(note)) => match note
                .payload()
                .parse::<u32>()
                .ok()
                .and_then(|id| StationId::new(id).ok())
            {
                Some(station) => wakeups.wake(station),
                None => tracing::warn!(
                    payload = note.payload(),
                    "unreadable station-change notification"
                ),
            },
            // The connection dropped (and is being re-made): notifications may be lost.
            Ok(None) => wakeups.wake_all(),
            Err(e) => {
                tracing::debug!(error = %e, "station-change listener stopped");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(n: u32) -> StationId {
        StationId::new(n).unwrap()
    }

    #[tokio::test]
    async fn a_wake_reaches_the_stations_waiters_only() {
        let wakeups = Wakeups::default();
        let mut one = wakeups.subscribe(station(1));
        let two = wakeups.subscribe(station(2));
        wakeups.wake(station(1));
        one.changed().await.unwrap();
        assert!(!two.has_changed().unwrap());
    }

    #[tokio::test]
    async fn a_wake_before_the_wait_is_not_lost() {
        let wakeups = Wakeups::default();
        let mut signal = wakeups.subscribe(station(3));
        // The change commits between taking the signal and starting to wait.
        wakeups.wake(station(3));
        signal.changed().await.unwrap();
    }

    #[test]
    fn stations_nobody_waits_for_are_forgotten() {
        let wakeups = Wakeups::default();
        drop(wakeups.subscribe(station(4)));
        wakeups.wake(station(4));
        assert!(wakeups.stations.lock().unwrap().is_empty());
    }
}
