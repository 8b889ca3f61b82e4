//! SQLite, the embedded default: WAL, `synchronous=FULL` (an acknowledged write
//! survives power loss — docs/architecture.md, invariant 7), foreign keys on, a generous busy timeout.

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::ACQUIRE_TIMEOUT;
use crate::store::{StoreError, StoreResult};

pub(super) static MIGRATOR: Migrator = sqlx::migrate!("../migrations/cloud-sqlite");

pub(super) async fn connect(url: &str, max_connections: u32) -> StoreResult<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    let file = options.get_filename();
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Corrupt(format!(
                "cannot create the database directory {}: {e}",
                dir.display()
            ))
        })?;
    }
    Ok(SqlitePoolOptions::new()
        .test_before_acquire(false)
        // One writer at a time is SQLite's nature; a few connections serve reads.
        .max_connections(max_connections.min(8))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await?)
}
