//! Freed places and the waitlist: a place freed in a slot with drivers waiting is not
//! released but offered to the first of them, still counted in `slot_loads.held`
//! (invariant 1). Every path that frees a place comes through here; the rest of the
//! waitlist (joining, accepting, leaving, lapsing) is `waitlist.rs`.
//!
//! Lock order: the slot's row, then waitlist rows.

use chrono::{DateTime, Duration, Utc};
use gasq_shared::StationId;

use super::StoreResult;
use super::db::{Lock, Query, Tx, query};
use super::notifications::{self, Notice};
use super::places;
use super::stations::station_in;

/// How long an offered place waits for its driver.
pub const OFFER_MINUTES: i64 = 10;

/// Frees a place of a slot — or, when drivers wait for it, offers it to the first of
/// them (the place stays held). Callers hold the slot's row (they just changed it or
/// locked it) and keep the lock order: slot rows, then the waitlist.
pub(crate) async fn release_or_offer(
    tx: &mut Tx,
    station: StationId,
    slot_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if !offer_next(tx, station, slot_start, now).await? {
        places::release(tx, station, slot_start).await?;
    }
    Ok(())
}

/// Offers the slot's freed place to its first waiting driver; whether there was one.
async fn offer_next(
    tx: &mut Tx,
    station: StationId,
    slot_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if slot_start <= now {
        return Ok(false);
    }
    let sql = format!(
        "SELECT id, user_id FROM waitlist WHERE station_id = $1 AND slot_start = $2 \
         AND status = 'waiting' \
         ORDER BY created_at LIMIT 1{}",
        tx.lock(Lock::SkipLocked)
    );
    let first: Option<(uuid::Uuid, uuid::Uuid)> = tx
        .fetch_optional(Query::assembled(sql).bind(station).bind(slot_start))
        .await?;
    let Some((first_id, first_user)) = first else {
        return Ok(false);
    };
    let until = now + Duration::minutes(OFFER_MINUTES);
    tx.execute(
        query(
            "UPDATE waitlist SET status = 'offered', offer_expires_at = $2, updated_at = $3 \
             WHERE id = $1",
        )
        .bind(first_id)
        .bind(until)
        .bind(now),
    )
    .await?;
    let (name, when) = match station_in(tx, station).await? {
        Some(s) => (
            s.name.chars().take(24).collect::<String>(),
            slot_start
                .with_timezone(&s.policy.timezone)
                .format("%a %d %b %H:%M")
                .to_string(),
        ),
        None => (String::new(), slot_start.to_rfc3339()),
    };
    let notice = Notice {
        intent: format!("slot-offered:{first_id}"),
        user: first_user.into(),
        booking: None,
        message: "slot-offered",
        args: serde_json::json!({ "station": name, "when": when, "minutes": OFFER_MINUTES }),
        at: now,
    };
    notifications::enqueue(tx, &notice, now).await?;
    Ok(true)
}

/// Locks a slot's row (its place count) for the rest of the transaction.
pub(crate) async fn lock_slot(
    tx: &mut Tx,
    station: StationId,
    slot_start: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        query("UPDATE slot_loads SET held = held WHERE station_id = $1 AND slot_start = $2")
            .bind(station)
            .bind(slot_start),
    )
    .await?;
    Ok(())
}
