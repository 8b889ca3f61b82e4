//! [`SqlStore`]: one implementation of the store traits for both backends.
//!
//! Each method is written once. The [`on_pool!`] and [`in_tx!`] macros expand its body
//! once per backend, so `sqlx` sees concrete types (PostgreSQL's `uuid`/`timestamptz`,
//! SQLite's blobs/text) without generic bounds. Where the SQL dialects differ (row
//! locks, `SKIP LOCKED`), the body branches on the `pg` flag `in_tx!` provides.

use std::time::Duration;

use sqlx::{PgPool, SqlitePool};

use super::{StoreError, StoreResult};

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Debug, Clone)]
pub(super) enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// The store over a PostgreSQL or SQLite pool.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pub(super) pool: Pool,
    /// SQLite has one writer at a time, and writers waiting on its lock poll with
    /// growing sleeps — unfair, with second-long tails under load. Writers of this
    /// process queue here instead (first come, first served); other processes (the
    /// CLI) still meet SQLite's own busy timeout.
    pub(super) sqlite_writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// Runs `$body` with `$conn` bound to the pool of whichever backend is in use.
macro_rules! on_pool {
    ($store:expr, |$conn:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::sql::Pool::Postgres($conn) => $body,
            $crate::store::sql::Pool::Sqlite($conn) => $body,
        }
    };
}
pub(super) use on_pool;

/// Runs `$body` in a transaction; `$tx` is the transaction, `$pg` is true on
/// PostgreSQL. SQLite transactions start `IMMEDIATE` (taking the write lock up front),
/// so two writers never deadlock on a lock upgrade. `return` or `?` inside the body
/// rolls back.
macro_rules! in_tx {
    ($store:expr, |$tx:ident, $pg:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::sql::Pool::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                #[allow(unused_variables)]
                let $pg = true;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::store::sql::Pool::Sqlite(pool) => {
                let _writer = $store.sqlite_writer.lock().await;
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                #[allow(unused_variables)]
                let $pg = false;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}
pub(super) use in_tx;

impl SqlStore {
    /// Connects by URL scheme (`postgres://`, `postgresql://` or `sqlite:`) and runs
    /// the backend's migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(super::postgres::connect(url, max_connections).await?)
        } else if url.starts_with("sqlite:") {
            Pool::Sqlite(super::sqlite::connect(url, max_connections).await?)
        } else {
            return Err(StoreError::Corrupt(format!(
                "unsupported database URL scheme in {:?}: use postgres:// or sqlite:",
                url.split(':').next().unwrap_or_default()
            )));
        };
        let store = Self {
            pool,
            sqlite_writer: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations (idempotent; safe with several replicas starting).
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Postgres(p) => super::postgres::MIGRATOR.run(p).await?,
            Pool::Sqlite(p) => super::sqlite::MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Postgres(_) => Backend::Postgres,
            Pool::Sqlite(_) => Backend::Sqlite,
        }
    }

    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }
}

/// How long to wait for a pooled connection before answering "busy".
pub(super) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// True when the error is a unique-constraint violation.
pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Maps a unique violation to `Conflict(msg)`, anything else to a database error.
pub(super) fn conflict_or(e: sqlx::Error, msg: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(msg.to_owned())
    } else {
        StoreError::Database(e)
    }
}

#[async_trait::async_trait]
impl super::Store for SqlStore {
    fn backend(&self) -> Backend {
        SqlStore::backend(self)
    }

    async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }
}
