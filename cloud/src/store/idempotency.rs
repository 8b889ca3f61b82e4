//! `Idempotency-Key`s of booking requests, Stripe-style: a key remembers the first
//! answer its request got — the booking, or "slot full" — for
//! [`IDEMPOTENCY_KEY_TTL_HOURS`]; a retry with the same key and body gets that answer
//! again, the same key with another body is refused, and after the key expires the
//! same key is a new request.
//!
//! A key is claimed by inserting it inside the booking's transaction. A refusal keeps
//! the claim (marked with [`SLOT_FULL`]) and commits it: the transaction has changed
//! nothing else by then, so only the remembered answer is kept.

use chrono::{DateTime, Duration, Utc};
use gasq_shared::UserId;

use super::{SqlStore, StoreError, StoreResult};
use crate::domain::Booking;
use crate::store::sql::on_pool;

/// How long a key remembers its answer.
pub const IDEMPOTENCY_KEY_TTL_HOURS: i64 = 24;

/// The `booking_id` of a key whose request was refused because the slot was full.
pub(super) const SLOT_FULL: uuid::Uuid = uuid::Uuid::nil();

/// Keys created before this are expired at `now`.
pub(super) fn expired_before(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::hours(IDEMPOTENCY_KEY_TTL_HOURS)
}

/// What a request under a key was answered the first time.
#[derive(Debug, Clone)]
pub enum FirstAnswer {
    Booked(Box<Booking>),
    SlotFull,
}

/// Claims `$key` for booking `$b` inside transaction `$tx`, taking over an expired
/// claim; evaluates to `true` when claimed. A concurrent request with the same key
/// waits here for the first one to commit, then finds its claim taken.
macro_rules! claim_key {
    ($tx:ident, $b:expr, $key:expr) => {{
        sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, booking_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, key) DO UPDATE SET \
             request_hash = excluded.request_hash, booking_id = excluded.booking_id, \
             created_at = excluded.created_at WHERE idempotency_keys.created_at < $6",
        )
        .bind($b.user_id.0)
        .bind(&$key.key)
        .bind(&$key.request_hash)
        .bind($b.id.0)
        .bind($b.now)
        .bind($crate::store::idempotency::expired_before($b.now))
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            > 0
    }};
}
pub(super) use claim_key;

/// The request hash and booking id a live claim of `$key` holds (inside `$tx`).
macro_rules! claimed_by {
    ($tx:ident, $b:expr, $key:expr) => {{
        let found: (Vec<u8>, uuid::Uuid) = sqlx::query_as(
            "SELECT request_hash, booking_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind($b.user_id.0)
        .bind(&$key.key)
        .fetch_one(&mut *$tx)
        .await?;
        found
    }};
}
pub(super) use claimed_by;

/// Makes `$key`'s claim remember that its request found the slot full.
macro_rules! remember_slot_full {
    ($tx:ident, $b:expr, $key:expr) => {{
        sqlx::query("UPDATE idempotency_keys SET booking_id = $3 WHERE user_id = $1 AND key = $2")
            .bind($b.user_id.0)
            .bind(&$key.key)
            .bind($crate::store::idempotency::SLOT_FULL)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(super) use remember_slot_full;

impl SqlStore {
    /// The request hash and first answer of `user`'s key, unless it expired by `now`.
    pub(super) async fn first_answer(
        &self,
        user: UserId,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Vec<u8>, FirstAnswer)>> {
        let found: Option<(Vec<u8>, uuid::Uuid)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT request_hash, booking_id FROM idempotency_keys \
                 WHERE user_id = $1 AND key = $2 AND created_at >= $3",
            )
            .bind(user.0)
            .bind(key)
            .bind(expired_before(now))
            .fetch_optional(p)
            .await?
        });
        let Some((hash, id)) = found else {
            return Ok(None);
        };
        if id == SLOT_FULL {
            return Ok(Some((hash, FirstAnswer::SlotFull)));
        }
        let booking = super::BookingStore::booking(self, id.into())
            .await?
            .ok_or(StoreError::NotFound("booking"))?;
        Ok(Some((hash, FirstAnswer::Booked(Box::new(booking)))))
    }

    /// Forgets keys that expired by `now`.
    pub(super) async fn prune_keys(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        Ok(on_pool!(self, |p| {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(expired_before(now))
                .execute(p)
                .await?
                .rows_affected()
        }))
    }
}
