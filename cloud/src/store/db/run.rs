//! Running a [`Query`] on either backend: its parameters are encoded for the backend's
//! wire types, and rows decode into any [`Record`].
//!
//! The functions are generic over the backend ([`Dialect`]) and over what the statement
//! runs on (a pool or a transaction's connection), so `Db` and `Tx` share them.

use sqlx::error::BoxDynError;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, AssertSqlSafe, Database, Encode, Executor, FromRow, IntoArguments, Type};
use sqlx::{Postgres, Sqlite};

use super::query::{Query, Value};
use crate::store::StoreResult;

/// A row shape both backends decode: a `#[derive(sqlx::FromRow)]` struct, or a tuple.
pub trait Record:
    for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{
}

/// What differs between the backends at the driver level.
pub(super) trait Dialect: Database<Arguments: IntoArguments<Self>> {
    fn arguments(params: Vec<Value>) -> Result<Self::Arguments, BoxDynError>;
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// Encodes `params` as `DB`'s arguments, each with its own SQL type.
fn encode<DB>(params: Vec<Value>) -> Result<DB::Arguments, BoxDynError>
where
    DB: Database,
    for<'a> Option<bool>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i32>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<String>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<Vec<u8>>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<uuid::Uuid>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<chrono::DateTime<chrono::Utc>>: Encode<'a, DB> + Type<DB>,
{
    let mut args = DB::Arguments::default();
    for value in params {
        match value {
            Value::Bool(v) => args.add(v)?,
            Value::I32(v) => args.add(v)?,
            Value::I64(v) => args.add(v)?,
            Value::F64(v) => args.add(v)?,
            Value::Text(v) => args.add(v)?,
            Value::Bytes(v) => args.add(v)?,
            Value::Uuid(v) => args.add(v)?,
            Value::Time(v) => args.add(v)?,
        }
    }
    Ok(args)
}

impl Dialect for Postgres {
    fn arguments(params: Vec<Value>) -> Result<Self::Arguments, BoxDynError> {
        encode::<Self>(params)
    }
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

impl Dialect for Sqlite {
    fn arguments(params: Vec<Value>) -> Result<Self::Arguments, BoxDynError> {
        encode::<Self>(params)
    }
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

pub(super) async fn execute<'c, DB, E>(on: E, q: Query) -> StoreResult<u64>
where
    DB: Dialect,
    E: Executor<'c, Database = DB>,
{
    let args = DB::arguments(q.params).map_err(sqlx::Error::Encode)?;
    let done = sqlx::query_with(AssertSqlSafe(q.sql), args)
        .execute(on)
        .await?;
    Ok(DB::rows_affected(&done))
}

pub(super) async fn fetch_optional<'c, DB, E, T>(on: E, q: Query) -> StoreResult<Option<T>>
where
    DB: Dialect,
    E: Executor<'c, Database = DB>,
    T: for<'r> FromRow<'r, DB::Row> + Send + Unpin,
{
    let args = DB::arguments(q.params).map_err(sqlx::Error::Encode)?;
    Ok(sqlx::query_as_with(AssertSqlSafe(q.sql), args)
        .fetch_optional(on)
        .await?)
}

pub(super) async fn fetch_all<'c, DB, E, T>(on: E, q: Query) -> StoreResult<Vec<T>>
where
    DB: Dialect,
    E: Executor<'c, Database = DB>,
    T: for<'r> FromRow<'r, DB::Row> + Send + Unpin,
{
    let args = DB::arguments(q.params).map_err(sqlx::Error::Encode)?;
    Ok(sqlx::query_as_with(AssertSqlSafe(q.sql), args)
        .fetch_all(on)
        .await?)
}
