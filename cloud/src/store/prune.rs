//! Pruning the station change logs, so they do not grow forever.
//!
//! A station's log is cut below the oldest cursor still in use: the lowest cursor its
//! live devices (not revoked, pulled since `cutoff`) last pulled up to. A device silent
//! since before `cutoff` no longer holds the log back, and changes recorded before
//! `cutoff` go whoever has not pulled them — a dead box cannot keep the log forever. The
//! station's `change_floor` records the cut; an edge whose cursor is below it gets a
//! full resync on its next pull (`app/sync.rs`), which is what the pull contract
//! promises for a cursor "too old".

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::StationId;

use super::db::{Db, query};
use super::seal::lock_change_head;
use super::{SqlStore, StoreResult};

/// Pruning what no longer counts.
#[async_trait]
pub trait PruneStore: Send + Sync {
    /// Raises each station's change floor to the oldest cursor its live devices hold
    /// (or at least past every change recorded before `cutoff`) and deletes the changes
    /// at or below it; returns how many changes went.
    async fn prune_change_logs(&self, cutoff: DateTime<Utc>) -> StoreResult<u64>;
}

#[async_trait]
impl PruneStore for SqlStore {
    async fn prune_change_logs(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        let stations: Vec<(i64,)> = self
            .db
            .fetch_all(query(
                "SELECT id FROM stations WHERE change_seq > change_floor ORDER BY id",
            ))
            .await?;
        let mut pruned = 0;
        for (id,) in stations {
            if let Ok(station) = StationId::try_from(id) {
                pruned += prune_station(&self.db, station, cutoff).await?;
            }
        }
        Ok(pruned)
    }
}

/// Prunes one station's log, under its change counter's lock (as the sealer takes it),
/// so the floor and the deletion land together.
async fn prune_station(db: &Db, station: StationId, cutoff: DateTime<Utc>) -> StoreResult<u64> {
    let mut tx = db.begin().await?;
    let head = lock_change_head(&mut tx, station).await?;
    let (floor,): (i64,) = tx
        .fetch_one(query("SELECT change_floor FROM stations WHERE id = $1").bind(station))
        .await?;
    let (held,): (Option<i64>,) = tx
        .fetch_one(
            query(
                "SELECT MIN(pulled_cursor) FROM devices WHERE station_id = $1 \
                 AND revoked_at IS NULL AND pulled_cursor IS NOT NULL AND last_pull_at >= $2",
            )
            .bind(station)
            .bind(cutoff),
        )
        .await?;
    let (aged,): (Option<i64>,) = tx
        .fetch_one(
            query(
                "SELECT MAX(seq) FROM station_changes WHERE station_id = $1 \
                 AND seq IS NOT NULL AND at < $2",
            )
            .bind(station)
            .bind(cutoff),
        )
        .await?;
    // With no live device, nothing holds the log: a device that comes back or a new
    // one starts with a full resync anyway.
    let new_floor = held.unwrap_or(head).min(head).max(aged.unwrap_or(0));
    if new_floor <= floor {
        return Ok(0);
    }
    tx.execute(
        query("UPDATE stations SET change_floor = $2 WHERE id = $1")
            .bind(station)
            .bind(new_floor),
    )
    .await?;
    let deleted = tx
        .execute(
            query("DELETE FROM station_changes WHERE station_id = $1 AND seq <= $2")
                .bind(station)
                .bind(new_floor),
        )
        .await?;
    tx.commit().await?;
    Ok(deleted)
}
