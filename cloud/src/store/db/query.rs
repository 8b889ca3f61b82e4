//! [`Query`]: one SQL statement and its parameters, written once for both backends.
//!
//! Parameters are kept as [`Value`]s — typed, nulls included, since PostgreSQL needs to
//! know a NULL's type — and are encoded for the backend in use only when the statement
//! runs (`run.rs`). Both dialects accept `$1`-style placeholders.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, DeviceId, EventId, StationId, UserId, VehicleId};
use uuid::Uuid;

/// A statement ready to run on a [`super::Db`] or in a [`super::Tx`].
#[derive(Debug, Clone)]
pub struct Query {
    pub(super) sql: Cow<'static, str>,
    pub(super) params: Vec<Value>,
}

/// A statement written in the source.
pub fn query(sql: &'static str) -> Query {
    Query {
        sql: Cow::Borrowed(sql),
        params: Vec::new(),
    }
}

impl Query {
    /// A statement assembled at run time. Only ever from fixed fragments (a lock clause,
    /// see [`super::Lock`]) — never from input, which goes in as parameters.
    pub fn assembled(sql: String) -> Self {
        Self {
            sql: Cow::Owned(sql),
            params: Vec::new(),
        }
    }

    /// Adds the next parameter (`$1`, `$2`, … in order).
    #[must_use]
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.params.push(value.into());
        self
    }
}

/// A parameter value. Each variant may be NULL and still says its SQL type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(Option<bool>),
    /// `INTEGER` columns (PostgreSQL `int4`).
    I32(Option<i32>),
    /// `BIGINT` columns (ids, counters, cursors).
    I64(Option<i64>),
    F64(Option<f64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Uuid(Option<Uuid>),
    Time(Option<DateTime<Utc>>),
}

/// A Rust type that goes into a [`Value`] of one SQL type (so its NULL is typed too).
pub trait SqlParam: Sized {
    fn to_value(v: Option<Self>) -> Value;
}

impl<T: SqlParam> From<T> for Value {
    fn from(v: T) -> Self {
        T::to_value(Some(v))
    }
}

impl<T: SqlParam> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        T::to_value(v)
    }
}

impl SqlParam for bool {
    fn to_value(v: Option<Self>) -> Value {
        Value::Bool(v)
    }
}

impl SqlParam for i32 {
    fn to_value(v: Option<Self>) -> Value {
        Value::I32(v)
    }
}

impl SqlParam for u16 {
    fn to_value(v: Option<Self>) -> Value {
        Value::I32(v.map(i32::from))
    }
}

impl SqlParam for i64 {
    fn to_value(v: Option<Self>) -> Value {
        Value::I64(v)
    }
}

impl SqlParam for StationId {
    fn to_value(v: Option<Self>) -> Value {
        Value::I64(v.map(i64::from))
    }
}

impl SqlParam for f64 {
    fn to_value(v: Option<Self>) -> Value {
        Value::F64(v)
    }
}

impl SqlParam for String {
    fn to_value(v: Option<Self>) -> Value {
        Value::Text(v)
    }
}

impl SqlParam for &str {
    fn to_value(v: Option<Self>) -> Value {
        Value::Text(v.map(str::to_owned))
    }
}

impl SqlParam for &String {
    fn to_value(v: Option<Self>) -> Value {
        Value::Text(v.cloned())
    }
}

impl SqlParam for Vec<u8> {
    fn to_value(v: Option<Self>) -> Value {
        Value::Bytes(v)
    }
}

impl SqlParam for &[u8] {
    fn to_value(v: Option<Self>) -> Value {
        Value::Bytes(v.map(<[u8]>::to_vec))
    }
}

impl SqlParam for &Vec<u8> {
    fn to_value(v: Option<Self>) -> Value {
        Value::Bytes(v.cloned())
    }
}

impl SqlParam for DateTime<Utc> {
    fn to_value(v: Option<Self>) -> Value {
        Value::Time(v)
    }
}

impl SqlParam for Uuid {
    fn to_value(v: Option<Self>) -> Value {
        Value::Uuid(v)
    }
}

/// Ids travel as their UUID.
impl SqlParam for BookingId {
    fn to_value(v: Option<Self>) -> Value {
        Value::Uuid(v.map(|id| id.0))
    }
}

impl SqlParam for UserId {
    fn to_value(v: Option<Self>) -> Value {
        Value::Uuid(v.map(|id| id.0))
    }
}

impl SqlParam for VehicleId {
    fn to_value(v: Option<Self>) -> Value {
        Value::Uuid(v.map(|id| id.0))
    }
}

impl SqlParam for DeviceId {
    fn to_value(v: Option<Self>) -> Value {
        Value::Uuid(v.map(|id| id.0))
    }
}

impl SqlParam for EventId {
    fn to_value(v: Option<Self>) -> Value {
        Value::Uuid(v.map(|id| id.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_their_order_and_their_type_when_null() {
        let q = query("SELECT $1, $2, $3")
            .bind(7_i64)
            .bind(None::<Uuid>)
            .bind("x");
        assert_eq!(
            q.params,
            vec![
                Value::I64(Some(7)),
                Value::Uuid(None),
                Value::Text(Some("x".into()))
            ]
        );
    }
}
