//! The sealer: gives committed entries their place in order, off the request path.
//!
//! Writers insert audit entries and station changes without a number, so bookings never
//! queue on a global lock (a slow disk flush in one transaction would stall them all).
//! Sealing then, under one lock row, numbers what has committed — audit entries get
//! their chain position and hash, station changes their per-station number. An entry
//! that commits late is simply numbered in a later pass, after everything sealed
//! before it: numbers never go back, and readers only ever see sealed entries.

use gasq_shared::StationId;
use uuid::Uuid;

use super::db::{Db, Lock, Tx, query};
use super::{StoreError, StoreResult};
use crate::domain::audit::{ChainFields, entry_hash};

#[derive(sqlx::FromRow)]
struct UnsealedAudit {
    id: i64,
    at_micros: i64,
    actor_id: Option<Uuid>,
    actor_role: Option<String>,
    action: String,
    target: String,
    ip: Option<String>,
    detail: String,
}

/// Seals up to `limit` audit entries; returns how many.
pub(super) async fn seal_audit(db: &Db, limit: i64) -> StoreResult<usize> {
    let mut tx = db.begin().await?;
    let head = tx.locked(
        "SELECT seq, hash FROM audit_head WHERE id = 1",
        Lock::Update,
    );
    let (mut seq, mut hash): (i64, Vec<u8>) = tx.fetch_one(head).await?;
    let rows: Vec<UnsealedAudit> = tx
        .fetch_all(
            query(
                "SELECT id, at_micros, actor_id, actor_role, action, target, ip, detail \
                 FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1",
            )
            .bind(limit),
        )
        .await?;
    for row in &rows {
        seq += 1;
        let next = entry_hash(&hash, &chain_fields(seq, row)).to_vec();
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
    if !rows.is_empty() {
        tx.execute(
            query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(hash),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

fn chain_fields(seq: i64, row: &UnsealedAudit) -> ChainFields<'_> {
    ChainFields {
        seq,
        at_micros: row.at_micros,
        actor_id: row.actor_id,
        actor_role: row.actor_role.as_deref(),
        action: &row.action,
        target: &row.target,
        ip: row.ip.as_deref(),
        detail: &row.detail,
    }
}

/// Numbers a station's committed, unnumbered changes; returns the station's head.
pub(super) async fn seal_station_changes(db: &Db, station: StationId) -> StoreResult<i64> {
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
async fn lock_change_head(tx: &mut Tx, station: StationId) -> StoreResult<i64> {
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
pub(super) async fn stations_with_unsealed_changes(db: &Db) -> StoreResult<Vec<StationId>> {
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
