//! PostgreSQL: connection pool and migrations (`migrations/cloud-postgres`).

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

use super::ACQUIRE_TIMEOUT;
use crate::store::StoreResult;

pub(super) static MIGRATOR: Migrator = sqlx::migrate!("../migrations/cloud-postgres");

pub(super) async fn connect(url: &str, max_connections: u32) -> StoreResult<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        // A ping before every checkout is a round trip per query; a broken connection
        // shows up as an error on use and is replaced then.
        .test_before_acquire(false)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect(url)
        .await?)
}
