//! The sealer: gives committed entries their place in order, off the request path.
//!
//! Writers insert audit entries and station changes without a number, so bookings never
//! queue on a global lock (a slow disk flush in one transaction would stall them all).
//! Sealing then, under one lock row, numbers what has committed — audit entries get
//! their chain position and hash, station changes their per-station number. An entry
//! that commits late is simply numbered in a later pass, after everything sealed
//! before it: numbers never go back, and readers only ever see sealed entries.

use async_trait::async_trait;
use gasq_shared::StationId;

use super::audit::AuditRow;
use super::db::{Db, Lock, Tx, query};
use super::{SqlStore, StoreError, StoreResult};
use crate::domain::audit::{AuditRecord, entry_hash};

/// The sealer's work, on every replica.
#[async_trait]
pub trait SealStore: Send + Sync {
    /// Links up to `limit` committed, unsealed audit entries into the chain; returns how
    /// many.
    async fn seal_audit(&self, limit: i64) -> StoreResult<usize>;
    /// Audit entries not sealed yet.
    async fn unsealed_audit(&self) -> StoreResult<i64>;
    /// Numbers every station's pending changes; returns how many stations had some.
    async fn seal_changes(&self) -> StoreResult<usize>;
}

#[async_trait]
impl SealStore for SqlStore {
    async fn seal_audit(&self, limit: i64) -> StoreResult<usize> {
        seal_audit(&self.db, limit).await
    }

    async fn unsealed_audit(&self) -> StoreResult<i64> {
        let (n,): (i64,) = self
            .db
            .fetch_one(query("SELECT COUNT(*) FROM audit_log WHERE seq IS NULL"))
            .await?;
        Ok(n)
    }

    async fn seal_changes(&self) -> StoreResult<usize> {
        let stations = stations_to_seal(&self.db).await?;
        for station in &stations {
            seal_station(&self.db, *station).await?;
        }
        Ok(stations.len())
    }
}

/// Seals up to `limit` audit entries; returns how many.
pub(super) async fn seal_audit(db: &Db, limit: i64) -> StoreResult<usize> {
    let mut tx = db.begin().await?;
    let head = tx.locked(
        "SELECT seq, hash FROM audit_head WHERE id = 1",
        Lock::Update,
    );
    let (mut seq, mut hash): (i64, Vec<u8>) = tx.fetch_one(head).await?;
    let rows: Vec<AuditRow> = tx
        .fetch_all(
            query("SELECT * FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1").bind(limit),
        )
        .await?;
    let sealed = rows.len();
    for row in rows.into_iter().map(AuditRecord::from) {
        seq += 1;
        let next = entry_hash(&hash, &row.fields(seq)).to_vec();
        tx.execute(
            query("UPDATE audit_log SET seq = $2, prev_hash = $3, hash = $4 WHERE id = $1")
                .bind(row.id)
                .bind(seq)
                .bind(&hash)
                .bind(&next),
        )
        .await?;
        hash = next;
    }
    if sealed > 0 {
        tx.execute(
            query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(hash),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(sealed)
}

/// Numbers a station's committed, unnumbered changes; returns the station's head.
pub(super) async fn seal_station(db: &Db, station: StationId) -> StoreResult<i64> {
    let mut tx = db.begin().await?;
    let mut head = lock_change_head(&mut tx, station).await?;
    let ids: Vec<(i64,)> = tx
        .fetch_all(
            query(
                "SELECT id FROM station_changes WHERE station_id = $1 AND seq IS NULL ORDER BY id",
            )
            .bind(station),
        )
        .await?;
    for (id,) in &ids {
        head += 1;
        tx.execute(
            query("UPDATE station_changes SET seq = $2 WHERE id = $1")
                .bind(*id)
                .bind(head),
        )
        .await?;
    }
    if !ids.is_empty() {
        tx.execute(
            query("UPDATE stations SET change_seq = $2 WHERE id = $1")
                .bind(station)
                .bind(head),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(head)
}

/// The station's change counter, locked for this transaction.
pub(super) async fn lock_change_head(tx: &mut Tx, station: StationId) -> StoreResult<i64> {
    // NO KEY UPDATE: bookings hold KEY SHARE on the station row (their foreign keys);
    // FOR UPDATE would make every booking wait for the sealer.
    let sql = tx.locked(
        "SELECT change_seq FROM stations WHERE id = $1",
        Lock::NoKeyUpdate,
    );
    let head: Option<(i64,)> = tx.fetch_optional(sql.bind(station)).await?;
    head.map(|(h,)| h).ok_or(StoreError::NotFound("station"))
}

/// Stations with changes waiting for a number.
async fn stations_to_seal(db: &Db) -> StoreResult<Vec<StationId>> {
    let ids: Vec<(i64,)> = db
        .fetch_all(query(
            "SELECT DISTINCT station_id FROM station_changes WHERE seq IS NULL",
        ))
        .await?;
    Ok(ids
        .into_iter()
        .filter_map(|(id,)| StationId::try_from(id).ok())
        .collect())
}
