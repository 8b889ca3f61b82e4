//! Fresh databases for tests: an SQLite file in a temp dir, or a new PostgreSQL
//! database (created from `GASQ_TEST_DATABASE_URL`, dropped afterwards).

use std::sync::Arc;

use gasq_cloud::store::{SqlStore, Store};

/// The PostgreSQL server to create test databases on, if any.
pub fn pg_admin_url() -> Option<String> {
    std::env::var("GASQ_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database that lives as long as this value.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("gasq.sqlite").display());
        Self {
            url,
            _dir: Some(dir),
            drop_pg: None,
        }
    }

    /// `None` (and a note on stderr) when no PostgreSQL is configured — unless
    /// `GASQ_REQUIRE_POSTGRES=1` (as in CI), where a PostgreSQL run that cannot happen
    /// fails, so a green run means PostgreSQL ran.
    pub async fn postgres() -> Option<Self> {
        let Some(admin) = pg_admin_url() else {
            assert!(
                std::env::var("GASQ_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "GASQ_REQUIRE_POSTGRES=1 but GASQ_TEST_DATABASE_URL is not set: \
                 the PostgreSQL run of this test cannot happen"
            );
            eprintln!(
                "GASQ_TEST_DATABASE_URL is not set: skipping the PostgreSQL run of this test"
            );
            return None;
        };
        let name = format!("gasq_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .expect("connect to PostgreSQL");
        sqlx::Executor::execute(
            &mut conn,
            sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
        )
        .await
        .expect("create test database");
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .expect("URL has a database path");
        let url = format!("{base}/{name}");
        Some(Self {
            url,
            _dir: None,
            drop_pg: Some((admin, name)),
        })
    }

    /// The same database again, for a second replica of the cloud; the first value
    /// still owns it (drops it when it goes).
    pub fn same_database(&self) -> Self {
        Self {
            url: self.url.clone(),
            _dir: None,
            drop_pg: None,
        }
    }

    pub async fn store(&self) -> Arc<dyn Store> {
        Arc::new(
            SqlStore::connect(&self.url, 16)
                .await
                .expect("connect store"),
        )
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.drop_pg.take() else {
            return;
        };
        // Drop runs outside async: use a small runtime on a plain thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await
                {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::Executor::execute(&mut conn, sqlx::AssertSqlSafe(sql)).await;
                }
            });
        })
        .join();
    }
}

/// Runs each named test against SQLite, and against PostgreSQL when configured, as
/// `sqlite::<name>` and `postgres::<name>`. A test takes the store (`async fn
/// name(store: Arc<dyn Store>)`), or with `databases:` the database itself (`async fn
/// name(db: TestDb)`, for tests that start the app or the CLI on it).
#[macro_export]
macro_rules! on_both_backends {
    (databases: $($name:ident),* $(,)?) => {
        $crate::on_both_backends!(@each db => db; $($name),*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends!(@each db => db.store().await; $($name),*);
    };
    (@each $db:ident => $arg:expr; $($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let $db = $crate::common::db::TestDb::sqlite();
                    super::$name($arg).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some($db) = $crate::common::db::TestDb::postgres().await else { return };
                    super::$name($arg).await;
                }
            )*
        }
    };
}
