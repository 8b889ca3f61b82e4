//! The database under the store: [`Db`] (a pool of whichever backend the URL names) and
//! [`Tx`] (a transaction on it). Both run [`Query`]s written once for both backends.
//!
//! Why one implementation for both backends rather than one per backend (as atuin
//! does): the store's SQL is the same on PostgreSQL and SQLite except for row locks,
//! so each statement is written once and the few lock clauses come from [`Tx::lock`]
//! (see `docs/architecture.md`, "The cloud's store").

mod postgres;
mod query;
mod run;
mod sqlite;
mod wakeups;

use std::sync::{Arc, Once};
use std::time::Duration;

use gasq_shared::StationId;

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use query::{Query, SqlParam, Value, query};
pub use run::Record;
pub use wakeups::{ChangeSignal, Wakeups};

use super::{StoreError, StoreResult};

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Debug, Clone)]
enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// How long to wait for a pooled connection before answering "busy".
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection pool to PostgreSQL or SQLite.
#[derive(Debug, Clone)]
pub struct Db {
    pool: Pool,
    /// SQLite has one writer at a time, and writers waiting on its lock poll with
    /// growing sleeps — unfair, with second-long tails under load. Writers of this
    /// process queue here instead (first come, first served); other processes (the
    /// CLI) still meet SQLite's own busy timeout.
    sqlite_writer: Arc<Mutex<()>>,
    /// Held pulls waiting for their station's change log to grow.
    wakeups: Arc<Wakeups>,
    /// Starts watching other processes' changes (a PostgreSQL listener, or a poll of the
    /// SQLite file) on the first wait.
    listening: Arc<Once>,
}

impl Db {
    /// Connects by URL scheme (`postgres://`, `postgresql://` or `sqlite:`) and runs
    /// the backend's migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Pool::Postgres(postgres::connect(url, max_connections).await?)
        } else if url.starts_with("sqlite:") {
            Pool::Sqlite(sqlite::connect(url, max_connections).await?)
        } else {
            return Err(StoreError::Corrupt(format!(
                "unsupported database URL scheme in {:?}: use postgres:// or sqlite:",
                url.split(':').next().unwrap_or_default()
            )));
        };
        let db = Self {
            pool,
            sqlite_writer: Arc::default(),
            wakeups: Arc::default(),
            listening: Arc::new(Once::new()),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies pending migrations (idempotent; safe with several replicas starting).
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Postgres(p) => postgres::MIGRATOR.run(p).await?,
            Pool::Sqlite(p) => sqlite::MIGRATOR.run(p).await?,
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
        match &self.pool {
            Pool::Postgres(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }

    /// A signal that fires when `station`'s change log next grows, in this process or
    /// any other (PostgreSQL: by `NOTIFY`; SQLite: a poll of the file every second). Take it before reading the log (see `wakeups.rs`).
    pub fn change_signal(&self, station: StationId) -> ChangeSignal {
        self.listening.call_once(|| match &self.pool {
            Pool::Postgres(pool) => {
                tokio::spawn(wakeups::listen(pool.clone(), self.wakeups.clone()));
            }
            Pool::Sqlite(pool) => {
                tokio::spawn(wakeups::poll_sqlite(pool.clone(), self.wakeups.clone()));
            }
        });
        self.wakeups.subscribe(station)
    }

    /// Starts a transaction. On SQLite it starts `IMMEDIATE` (taking the write lock up
    /// front, so two writers never deadlock on a lock upgrade), after this process's
    /// earlier writers.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match &self.pool {
            Pool::Postgres(p) => Tx {
                conn: TxConn::Postgres(p.begin().await?),
                _writer: None,
                wakeups: self.wakeups.clone(),
                changed: Vec::new(),
            },
            Pool::Sqlite(p) => {
                let writer = self.sqlite_writer.clone().lock_owned().await;
                Tx {
                    conn: TxConn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
                    _writer: Some(writer),
                    wakeups: self.wakeups.clone(),
                    changed: Vec::new(),
                }
            }
        })
    }

    /// Runs a statement outside any transaction; returns the rows it changed.
    pub async fn execute(&self, q: Query) -> StoreResult<u64> {
        match &self.pool {
            Pool::Postgres(p) => run::execute(p, q).await,
            Pool::Sqlite(p) => run::execute(p, q).await,
        }
    }

    pub async fn fetch_optional<T: Record>(&self, q: Query) -> StoreResult<Option<T>> {
        match &self.pool {
            Pool::Postgres(p) => run::fetch_optional(p, q).await,
            Pool::Sqlite(p) => run::fetch_optional(p, q).await,
        }
    }

    /// The one row a statement returns (an error when it returns none).
    pub async fn fetch_one<T: Record>(&self, q: Query) -> StoreResult<T> {
        self.fetch_optional(q).await?.ok_or_else(no_row)
    }

    pub async fn fetch_all<T: Record>(&self, q: Query) -> StoreResult<Vec<T>> {
        match &self.pool {
            Pool::Postgres(p) => run::fetch_all(p, q).await,
            Pool::Sqlite(p) => run::fetch_all(p, q).await,
        }
    }
}

/// A key for [`Tx::serialize_on`]: the first 8 bytes of SHA-256 over `scope` and `name`.
/// A collision only makes two unrelated writers take turns.
pub fn lock_key(scope: &str, name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(scope.as_bytes())
        .chain_update([0])
        .chain_update(name.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

fn no_row() -> StoreError {
    StoreError::Database(sqlx::Error::RowNotFound)
}

enum TxConn {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

/// A transaction on either backend. Dropped without [`Tx::commit`], it rolls back —
/// so `?` or an early `return` in a store method undoes everything it wrote.
pub struct Tx {
    // IMPORTANT: declared before `_writer`, so the transaction ends before the next
    // writer of this process may start.
    conn: TxConn,
    _writer: Option<OwnedMutexGuard<()>>,
    wakeups: Arc<Wakeups>,
    /// Stations whose change log this transaction grew: woken after the commit.
    changed: Vec<StationId>,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tx({:?})", self.backend())
    }
}

/// A row lock a statement takes on PostgreSQL. SQLite needs none: its transactions here
/// hold the database's write lock from their first statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// `FOR UPDATE`: the row is ours until commit.
    Update,
    /// `FOR NO KEY UPDATE`: as `Update`, but rows whose foreign keys point here (a
    /// booking's station) can still be written meanwhile.
    NoKeyUpdate,
    /// `FOR UPDATE SKIP LOCKED`: rows another transaction holds are left to it (workers
    /// on several replicas take disjoint batches).
    SkipLocked,
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Postgres(_) => Backend::Postgres,
            TxConn::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The clause that takes `lock` in this transaction's dialect (with a leading space,
    /// or empty), to end a `SELECT`: `format!("SELECT … WHERE id = $1{}", tx.lock(…))`.
    pub fn lock(&self, lock: Lock) -> &'static str {
        match (self.backend(), lock) {
            (Backend::Sqlite, _) => "",
            (Backend::Postgres, Lock::Update) => " FOR UPDATE",
            (Backend::Postgres, Lock::NoKeyUpdate) => " FOR NO KEY UPDATE",
            (Backend::Postgres, Lock::SkipLocked) => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// `sql` (a `SELECT`) ending with `lock` in this transaction's dialect.
    pub fn locked(&self, sql: &'static str, lock: Lock) -> Query {
        Query::assembled(format!("{sql}{}", self.lock(lock)))
    }

    /// Notes that `station`'s change log grew in this transaction: its held pulls are
    /// woken once it commits — here, and on PostgreSQL on every replica (`NOTIFY` is
    /// delivered at commit, and not at all on a rollback).
    pub async fn station_changed(&mut self, station: StationId) -> StoreResult<()> {
        if self.changed.contains(&station) {
            return Ok(());
        }
        if self.backend() == Backend::Postgres {
            let notify = query("SELECT pg_notify($1, $2)")
                .bind(wakeups::CHANNEL)
                .bind(station.get().to_string());
            self.execute(notify).await?;
        }
        self.changed.push(station);
        Ok(())
    }

    /// Makes this transaction wait for, then exclude until it ends, every other
    /// transaction serialising on the same `key` — a lock on something that has no row
    /// of its own (a vehicle registration, a driver's bookings as a whole). PostgreSQL:
    /// a transaction-scoped advisory lock; SQLite: nothing, the write lock is already
    /// held. Callers derive keys with [`lock_key`].
    pub async fn serialize_on(&mut self, key: i64) -> StoreResult<()> {
        if self.backend() == Backend::Postgres {
            self.execute(query("SELECT pg_advisory_xact_lock($1)").bind(key))
                .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> StoreResult<()> {
        match self.conn {
            TxConn::Postgres(t) => t.commit().await?,
            TxConn::Sqlite(t) => t.commit().await?,
        }
        for station in self.changed {
            self.wakeups.wake(station);
        }
        Ok(())
    }

    /// Runs a statement; returns the rows it changed.
    pub async fn execute(&mut self, q: Query) -> StoreResult<u64> {
        match &mut self.conn {
            TxConn::Postgres(t) => run::execute(&mut **t, q).await,
            TxConn::Sqlite(t) => run::execute(&mut **t, q).await,
        }
    }

    pub async fn fetch_optional<T: Record>(&mut self, q: Query) -> StoreResult<Option<T>> {
        match &mut self.conn {
            TxConn::Postgres(t) => run::fetch_optional(&mut **t, q).await,
            TxConn::Sqlite(t) => run::fetch_optional(&mut **t, q).await,
        }
    }

    /// The one row a statement returns (an error when it returns none).
    pub async fn fetch_one<T: Record>(&mut self, q: Query) -> StoreResult<T> {
        self.fetch_optional(q).await?.ok_or_else(no_row)
    }

    pub async fn fetch_all<T: Record>(&mut self, q: Query) -> StoreResult<Vec<T>> {
        match &mut self.conn {
            TxConn::Postgres(t) => run::fetch_all(&mut **t, q).await,
            TxConn::Sqlite(t) => run::fetch_all(&mut **t, q).await,
        }
    }
}
