//! One live board per station, however many screens watch it: the first watcher of a
//! station starts a task that rebuilds the board when the station's change log grows
//! (and every 10 s at the latest, for the box's freshness), and every watcher gets that
//! one board. A thousand forecourt TVs and phones on one station cost one board build
//! per change, not a thousand. The task ends when the last watcher leaves, or when the
//! server shuts down.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gasq_shared::StationId;
use tokio::sync::watch;

use super::App;
use super::board::{self, Board};
use crate::domain::Station;

/// The longest a board goes without being rebuilt.
const REFRESH: Duration = Duration::from_secs(10);

/// What a watcher holds: the latest board (`None` until the first is built, or when the
/// store could not build one).
pub type BoardWatch = watch::Receiver<Option<Arc<Board>>>;

#[derive(Debug, Default)]
pub struct BoardHub {
    stations: Mutex<HashMap<StationId, watch::Sender<Option<Arc<Board>>>>>,
}

/// Watches `station`'s board.
pub fn watch(app: &App, station: &Station) -> BoardWatch {
    let mut stations = app
        .boards
        .stations
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(sender) = stations.get(&station.id).filter(|s| !s.is_closed()) {
        return sender.subscribe();
    }
    let (sender, receiver) = watch::channel(None);
    stations.insert(station.id, sender.clone());
    tokio::spawn(keep(app.clone(), station.clone(), sender));
    receiver
}

/// Rebuilds the board until nobody watches.
async fn keep(app: App, mut station: Station, sender: watch::Sender<Option<Arc<Board>>>) {
    loop {
        // Taken before the read: a change committed after it still wakes us.
        let mut signal = app.store.change_signal(station.id);
        if let Ok(Some(now)) = app.store.station(station.id).await {
            station = now; // its lanes may have changed
        }
        let built = board::of_station(&app, &station).await.ok().map(Arc::new);
        sender.send_replace(built);
        tokio::select! {
            () = sender.closed() => break,
            () = app.stopping.cancelled() => break,
            _ = tokio::time::timeout(REFRESH, signal.changed()) => {}
        }
    }
    let mut stations = app
        .boards
        .stations
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if stations
        .get(&station.id)
        .is_some_and(|s| s.same_channel(&sender))
    {
        stations.remove(&station.id);
    }
}
