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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasq_shared::StationId;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
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
