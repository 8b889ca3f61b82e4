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
use gasq_shared::{BookingId, UserId};
use uuid::Uuid;

use super::IdempotencyKey;
use crate::store::StoreResult;
use crate::store::db::{Db, Tx, query};

/// How long a key remembers its answer.
pub const IDEMPOTENCY_KEY_TTL_HOURS: i64 = 24;

/// The `booking_id` of a key whose request was refused because the slot was full.
const SLOT_FULL: Uuid = Uuid::nil();

/// Keys created before this are expired at `now`.
fn expired_before(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::hours(IDEMPOTENCY_KEY_TTL_HOURS)
}

/// What a key's claim holds: the request it came with and what that was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Claim {
    Booked {
        request_hash: Vec<u8>,
        booking: BookingId,
    },
    SlotFull {
        request_hash: Vec<u8>,
    },
}

impl Claim {
    fn from_row((request_hash, id): (Vec<u8>, Uuid)) -> Self {
        if id == SLOT_FULL {
            Self::SlotFull { request_hash }
        } else {
            Self::Booked {
                request_hash,
                booking: id.into(),
            }
        }
    }

    pub(super) fn request_hash(&self) -> &[u8] {
        match self {
            Self::Booked { request_hash, .. } | Self::SlotFull { request_hash } => request_hash,
        }
    }
}

/// Claims `key` of `user` for booking `booking` inside `tx`, taking over an expired
/// claim; returns whether it claimed. A concurrent request with the same key waits here
/// for the first one to commit, then finds its claim taken.
pub(super) async fn claim(
    tx: &mut Tx,
    user: UserId,
    key: &IdempotencyKey,
    booking: BookingId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let claimed = tx
        .execute(
            query(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, booking_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, key) DO UPDATE SET \
                 request_hash = excluded.request_hash, booking_id = excluded.booking_id, \
                 created_at = excluded.created_at WHERE idempotency_keys.created_at < $6",
            )
            .bind(user)
            .bind(&key.key)
            .bind(&key.request_hash)
            .bind(booking)
            .bind(now)
            .bind(expired_before(now)),
        )
        .await?;
    Ok(claimed > 0)
}

/// The live claim of `key` (inside `tx`, after [`claim`] found it taken).
pub(super) async fn claimed(tx: &mut Tx, user: UserId, key: &str) -> StoreResult<Claim> {
    let row: (Vec<u8>, Uuid) = tx
        .fetch_one(
            query("SELECT request_hash, booking_id FROM idempotency_keys WHERE user_id = $1 AND key = $2")
                .bind(user)
                .bind(key),
        )
        .await?;
    Ok(Claim::from_row(row))
}

/// Makes `key`'s claim remember that its request found the slot full.
pub(super) async fn remember_slot_full(tx: &mut Tx, user: UserId, key: &str) -> StoreResult<()> {
    tx.execute(
        query("UPDATE idempotency_keys SET booking_id = $3 WHERE user_id = $1 AND key = $2")
            .bind(user)
            .bind(key)
            .bind(SLOT_FULL),
    )
    .await?;
    Ok(())
}

/// `user`'s claim of `key`, unless it expired by `now`.
pub(super) async fn live_claim(
    db: &Db,
    user: UserId,
    key: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Claim>> {
    let row: Option<(Vec<u8>, Uuid)> = db
        .fetch_optional(
            query(
                "SELECT request_hash, booking_id FROM idempotency_keys \
                 WHERE user_id = $1 AND key = $2 AND created_at >= $3",
            )
            .bind(user)
            .bind(key)
            .bind(expired_before(now)),
        )
        .await?;
    Ok(row.map(Claim::from_row))
}

/// Forgets keys that expired by `now`.
pub(super) async fn prune(db: &Db, now: DateTime<Utc>) -> StoreResult<u64> {
    db.execute(
        query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(expired_before(now)),
    )
    .await
}
