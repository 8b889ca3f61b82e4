//! Login throttle counters (`domain/throttle.rs` decides; this keeps the counters). An
//! attempt reads and updates its counter under a row lock (the write lock on SQLite), so
//! concurrent attempts on one counter are decided one after the other.

use chrono::{DateTime, Utc};

use crate::domain::throttle::{Attempt, Counter, ThrottleRule};
use crate::store::StoreResult;
use crate::store::db::{Db, Lock, query};

pub(super) async fn attempt(
    db: &Db,
    key: &[u8],
    now: DateTime<Utc>,
    rule: &ThrottleRule,
) -> StoreResult<Attempt> {
    let mut tx = db.begin().await?;
    // A new counter starts empty; an existing one is left as it is.
    tx.execute(
        query(
            "INSERT INTO login_throttle (key, failures, next_at) VALUES ($1, 0, $2) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(now),
    )
    .await?;
    let sql = tx.locked(
        "SELECT failures, next_at FROM login_throttle WHERE key = $1",
        Lock::Update,
    );
    let (failures, next_at): (i32, DateTime<Utc>) = tx.fetch_one(sql.bind(key)).await?;
    let stored = Counter {
        failures: u32::try_from(failures).unwrap_or(0),
        next_at,
    };
    let decision = rule.attempt(stored, now);
    if let Attempt::Go(next) = decision {
        tx.execute(
            query("UPDATE login_throttle SET failures = $2, next_at = $3 WHERE key = $1")
                .bind(key)
                .bind(i32::try_from(next.failures).unwrap_or(i32::MAX))
                .bind(next.next_at),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(decision)
}

/// Takes one successful attempt back out of the counter `key`.
pub(super) async fn forgive(
    db: &Db,
    key: &[u8],
    now: DateTime<Utc>,
    rule: &ThrottleRule,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    let sql = tx.locked(
        "SELECT failures, next_at FROM login_throttle WHERE key = $1",
        Lock::Update,
    );
    let row: Option<(i32, DateTime<Utc>)> = tx.fetch_optional(sql.bind(key)).await?;
    if let Some((failures, next_at)) = row {
        let stored = Counter {
            failures: u32::try_from(failures).unwrap_or(0),
            next_at,
        };
        let next = rule.forgive(stored, now);
        tx.execute(
            query("UPDATE login_throttle SET failures = $2, next_at = $3 WHERE key = $1")
                .bind(key)
                .bind(i32::try_from(next.failures).unwrap_or(i32::MAX))
                .bind(next.next_at),
        )
        .await?;
    }
    tx.commit().await
}

pub(super) async fn clear(db: &Db, key: &[u8]) -> StoreResult<()> {
    db.execute(query("DELETE FROM login_throttle WHERE key = $1").bind(key))
        .await?;
    Ok(())
}

pub(super) async fn prune(db: &Db, quiet_since: DateTime<Utc>) -> StoreResult<u64> {
    db.execute(query("DELETE FROM login_throttle WHERE next_at < $1").bind(quiet_since))
        .await
}
