//! The local SQLite database, owned by one dedicated thread.
//!
//! rusqlite blocks, so no task on the agent's async workers ever touches a connection:
//! [`Db::call`] sends a closure to the database thread and awaits its result. One
//! writer thread also means every transaction runs alone, which keeps the redemption
//! decision simple (the `INSERT` into `redemptions` either lands or conflicts).
//!
//! The database thread runs a single-threaded async runtime of its own, and the work
//! whose critical path is a database write — the station-bus link and the lane workers,
//! i.e. every scan's verdict — runs there too ([`Db::spawn`]). On that thread
//! [`Db::call`] runs the closure at once, in place: a scan is read, checked, committed,
//! signed and handed to the broker without waking another thread (an idle thread's
//! wake-up costs more than the work when scans come one at a time; docs/benchmarks.md,
//! "Edge: paced scans"). Everyone else's calls queue up as jobs between the lanes'.
//!
//! Durability (docs/architecture.md, invariant 2): WAL with `synchronous=FULL`, so a committed transaction is
//! on disk before [`Db::call`] returns — only then may an `accepted` verdict go out.

pub mod kv;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;

use rusqlite::{Connection, OpenFlags};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The schema, one file per version (`migrations/edge/`). Append only.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/edge/0001_init.sql"),
    include_str!("../../../migrations/edge/0002_bus_clients.sql"),
];

/// Why a database call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database holds unreadable data: {0}")]
    Corrupt(String),
    #[error(
        "the database is newer (schema {found}) than this gasq-edge (schema {known}): upgrade gasq-edge"
    )]
    TooNew { found: i64, known: i64 },
    #[error("the database thread has stopped")]
    Closed,
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to the database thread. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    jobs: mpsc::UnboundedSender<Job>,
    home: Arc<Home>,
}

/// The database thread: which one it is, its runtime, and the connection (only ever
/// locked on that thread, so never contended).
#[derive(Debug)]
struct Home {
    thread: ThreadId,
    runtime: Handle,
    conn: Mutex<Connection>,
}

/// How to open the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Create it if missing and bring the schema up to date (the agent, `enroll`).
    ReadWrite,
    /// Look only (`status`, `doctor`); fails if the file does not exist.
    ReadOnly,
}

impl Db {
    /// Opens `path` and starts the database thread. It runs until every handle is
    /// dropped (and with it the tasks [`Db::spawn`] started there).
    pub fn open(path: &Path, mode: Mode) -> Result<Self, DbError> {
        let conn = connect(path, mode)?;
        let cannot_start =
            |e: std::io::Error| DbError::Corrupt(format!("cannot start the database thread: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(cannot_start)?;
        let (jobs, mut queued) = mpsc::unbounded_channel::<Job>();
        let (started, home) = std::sync::mpsc::channel::<Arc<Home>>();
        let handle = runtime.handle().clone();
        let thread = std::thread::Builder::new()
            .name("edge-db".into())
            .spawn(move || {
                let home = Arc::new(Home {
                    thread: std::thread::current().id(),
                    runtime: handle,
                    conn: Mutex::new(conn),
                });
                if started.send(home.clone()).is_err() {
                    return;
                }
                runtime.block_on(async {
                    while let Some(job) = queued.recv().await {
                        home.run(job);
                    }
                });
                // Tasks still on this thread (the lanes of an agent that did not stop
                // them) are dropped with the runtime; a frame decoder still running
                // finishes on its own.
                runtime.shutdown_background();
            })
            .map_err(cannot_start)?;
        let home = home.recv().map_err(|_| {
            let _ = thread.join();
            DbError::Closed
        })?;
        Ok(Self { jobs, home })
    }

    /// Runs `f` on the database thread and returns what it returns. Called on that
    /// thread (from a task [`Db::spawn`] started), `f` runs at once, in place.
    pub async fn call<R, F>(&self, f: F) -> Result<R, DbError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, DbError> + Send + 'static,
    {
        if std::thread::current().id() == self.home.thread {
            let mut result = Err(DbError::Closed);
            self.home.run(|conn| result = f(conn));
            return result;
        }
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = done.send(f(conn));
        });
        self.jobs.send(job).map_err(|_| DbError::Closed)?;
        result.await.map_err(|_| DbError::Closed)?
    }

    /// Runs `task` on the database thread, where its [`Db::call`]s need no hand-off.
    /// For work whose critical path is a database write (the bus link, the lanes); it
    /// must not block that thread any other way, since every database call waits on it.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.home.runtime.spawn(task)
    }

    /// The database thread's runtime, for transports that start their own tasks there.
    pub fn runtime(&self) -> &Handle {
        &self.home.runtime
    }
}

impl Home {
    /// Runs one job on the connection; on the database thread only.
    fn run(&self, job: impl FnOnce(&mut Connection)) {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        // A panicking job must not take the database down for everyone; its open
        // transaction rolls back when the Transaction is dropped.
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut conn))).is_err() {
            tracing::error!("a database job panicked; its transaction was rolled back");
        }
    }
}

fn connect(path: &Path, mode: Mode) -> Result<Connection, DbError> {
    let flags = match mode {
        Mode::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        Mode::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    if mode == Mode::ReadWrite {
        // IMPORTANT: FULL, not NORMAL — with NORMAL a power cut can lose the last commits
        // of a WAL database, i.e. a redemption whose `accepted` verdict was already sent.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrate(&mut conn)?;
    } else {
        let version = schema_version(&conn)?;
        if version > MIGRATIONS.len() as i64 {
            return Err(DbError::TooNew {
                found: version,
                known: MIGRATIONS.len() as i64,
            });
        }
    }
    Ok(conn)
}

fn schema_version(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Applies the migrations this database has not seen, each in its own transaction.
fn migrate(conn: &mut Connection) -> Result<(), DbError> {
    let known = MIGRATIONS.len() as i64;
    let mut version = schema_version(conn)?;
    if version > known {
        return Err(DbError::TooNew {
            found: version,
            known,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        version = index as i64 + 1;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "edge database migrated");
    }
    Ok(())
}

/// Opens a fresh database in memory, for unit tests of the SQL modules.
#[cfg(test)]
pub fn memory() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    migrate(&mut conn).unwrap();
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_database_gets_the_schema_and_durable_settings() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("edge.db"), Mode::ReadWrite).unwrap();
        let (mode, sync, version) = db
            .call(|c| {
                let mode: String = c.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
                let sync: i64 = c.pragma_query_value(None, "synchronous", |r| r.get(0))?;
                Ok((mode, sync, schema_version(c)?))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "synchronous=FULL");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[tokio::test]
    async fn reopening_does_not_migrate_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.db");
        drop(Db::open(&path, Mode::ReadWrite).unwrap());
        let db = Db::open(&path, Mode::ReadWrite).unwrap();
        let n: i64 = db
            .call(|c| Ok(c.query_row("SELECT count(*) FROM redemptions", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(n, 0);
    }

    #[tokio::test]
    async fn a_task_on_the_database_thread_calls_it_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("edge.db"), Mode::ReadWrite).unwrap();
        let thread_of = |_: &mut Connection| Ok(std::thread::current().id());
        let on_thread = db.clone();
        let (task, its_call) = db
            .spawn(async move {
                let its_call = on_thread.call(thread_of).await.unwrap();
                (std::thread::current().id(), its_call)
            })
            .await
            .unwrap();
        assert_eq!(task, its_call, "no hand-off to another thread");
        let from_here = db.call(thread_of).await.unwrap();
        assert_eq!(from_here, its_call, "everyone else's calls run there too");
        assert_ne!(from_here, std::thread::current().id());
    }

    #[test]
    fn a_missing_database_is_not_created_by_a_read_only_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edge.db");
        assert!(Db::open(&path, Mode::ReadOnly).is_err());
        assert!(!path.exists());
    }
}
