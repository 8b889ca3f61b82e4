//! The sealer: gives committed entries their place in order, off the request path.
//!
//! Writers insert audit entries and station changes without a number, so bookings never
//! queue on a global lock (a slow disk flush in one transaction would stall them all).
//! Sealing then, under one lock row, numbers what has committed — audit entries get
//! their chain position and hash, station changes their per-station number. An entry
//! that commits late is simply numbered in a later pass, after everything sealed
//! before it: numbers never go back, and readers only ever see sealed entries.

use gasq_shared::StationId;

use super::sql::in_tx;
use super::{SqlStore, StoreResult};
use crate::audit::{ChainFields, entry_hash};

type UnsealedAudit = (
    i64,
    i64,
    Option<uuid::Uuid>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
);

impl SqlStore {
    /// Seals up to `limit` audit entries; returns how many.
    pub(super) async fn seal_audit_batch(&self, limit: i64) -> StoreResult<usize> {
        let sealed = in_tx!(self, |tx, pg| {
            let head_sql = if pg {
                "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
            } else {
                "SELECT seq, hash FROM audit_head WHERE id = 1"
            };
            let (mut seq, mut hash): (i64, Vec<u8>) =
                sqlx::query_as(head_sql).fetch_one(&mut *tx).await?;
            let rows: Vec<UnsealedAudit> = sqlx::query_as(
                "SELECT id, at_micros, actor_id, actor_role, action, target, ip, detail FROM audit_log \
                 WHERE seq IS NULL ORDER BY id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            for (id, at_micros, actor_id, actor_role, action, target, ip, detail) in &rows {
                seq += 1;
                let fields = ChainFields {
                    seq,
                    at_micros: *at_micros,
                    actor_id: *actor_id,
                    actor_role: actor_role.as_deref(),
                    action,
                    target,
                    ip: ip.as_deref(),
                    detail,
                };
                let next = entry_hash(&hash, &fields).to_vec();
                sqlx::query(
                    "UPDATE audit_log SET seq = $2, prev_hash = $3, hash = $4 WHERE id = $1",
                )
                .bind(id)
                .bind(seq)
                .bind(&hash)
                .bind(&next)
                .execute(&mut *tx)
                .await?;
                hash = next;
            }
            if !rows.is_empty() {
                sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                    .bind(seq)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
            }
            rows.len()
        });
        Ok(sealed)
    }

    /// Numbers a station's committed, unnumbered changes; returns the station's head.
    pub(super) async fn seal_station_changes(&self, station: StationId) -> StoreResult<i64> {
        let sid = i64::from(station);
        let head = in_tx!(self, |tx, pg| {
            let head_sql = if pg {
                // NO KEY UPDATE: bookings hold KEY SHARE on the station row (their foreign
                // keys); FOR UPDATE would make every booking wait for the sealer.
                "SELECT change_seq FROM stations WHERE id = $1 FOR NO KEY UPDATE"
            } else {
                "SELECT change_seq FROM stations WHERE id = $1"
            };
            let Some(mut head): Option<i64> = sqlx::query_scalar(head_sql)
                .bind(sid)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Err(super::StoreError::NotFound("station"));
            };
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM station_changes WHERE station_id = $1 AND seq IS NULL ORDER BY id",
            )
            .bind(sid)
            .fetch_all(&mut *tx)
            .await?;
            for id in &ids {
                head += 1;
                sqlx::query("UPDATE station_changes SET seq = $2 WHERE id = $1")
                    .bind(id)
                    .bind(head)
                    .execute(&mut *tx)
                    .await?;
            }
            if !ids.is_empty() {
                sqlx::query("UPDATE stations SET change_seq = $2 WHERE id = $1")
                    .bind(sid)
                    .bind(head)
                    .execute(&mut *tx)
                    .await?;
            }
            head
        });
        Ok(head)
    }

    /// Stations with changes waiting for a number.
    pub(super) async fn stations_with_unsealed_changes(&self) -> StoreResult<Vec<StationId>> {
        let ids: Vec<i64> = super::sql::on_pool!(self, |p| {
            sqlx::query_scalar("SELECT DISTINCT station_id FROM station_changes WHERE seq IS NULL")
                .fetch_all(p)
                .await?
        });
        Ok(ids
            .into_iter()
            .filter_map(|id| StationId::try_from(id).ok())
            .collect())
    }
}
