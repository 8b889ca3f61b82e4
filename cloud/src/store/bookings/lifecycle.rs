//! A booking after it is made: cancelled by its driver or staff, expired when its
//! payment hold lapses, a no-show when its window ends unused. Each frees what it held
//! and is audited, in one transaction. The workers run the batch ones on every replica:
//! `SKIP LOCKED` gives them disjoint rows on PostgreSQL.

use chrono::{DateTime, Utc};
use gasq_shared::BookingId;

use super::Cancelled;
use crate::domain::money::{self, CancelledBy};
use crate::domain::{AuditEntry, Booking};
use crate::store::booking_rows::{BookingRow, bookings};
use crate::store::changes::{self, ChangeKind};
use crate::store::db::{Db, Lock, Query, Tx};
use crate::store::payments::refund_on_cancel;
use crate::store::stations::live_status_sql;
use crate::store::{StoreError, StoreResult, audit, notifications, offers};

pub(super) async fn cancel(
    db: &Db,
    id: BookingId,
    now: DateTime<Utc>,
    by: CancelledBy,
    entry: AuditEntry,
) -> StoreResult<Cancelled> {
    let mut tx = db.begin().await?;
    let sql = format!(
        "UPDATE bookings SET status = 'cancelled', hold_expires_at = NULL, updated_at = $2 \
         WHERE id = $1 AND {} RETURNING *",
        live_status_sql()
    );
    let row: Option<BookingRow> = tx
        .fetch_optional(Query::assembled(sql).bind(id).bind(now))
        .await?;
    let Some(row) = row else {
        return Err(StoreError::Conflict(
            "only a pending or confirmed booking can be cancelled".into(),
        ));
    };
    let booking = Booking::try_from(row)?;
    offers::release_or_offer(&mut tx, booking.station_id, booking.slot_start, now).await?;
    // The edge must refuse this booking's token from now on.
    changes::log(&mut tx, booking.station_id, ChangeKind::Booking(id)).await?;
    let actor = entry
        .actor_id
        .map_or_else(|| "system".to_owned(), |u| format!("user:{u}"));
    let refund = refund_on_cancel(&mut tx, &booking, by, &actor, now).await?;
    let refunded = refund
        .filter(|r| r.refund_paise > 0)
        .map_or_else(|| "none".to_owned(), |r| money::rupees(r.refund_paise));
    let notice = notifications::about(
        &booking,
        "booking-cancelled",
        serde_json::json!({ "refund": refunded }),
        now,
    );
    notifications::enqueue(&mut tx, &notice, now).await?;
    audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(Cancelled { booking, refund })
}

pub(super) async fn expire_holds(
    db: &Db,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<Booking>> {
    let mut tx = db.begin().await?;
    let sql = format!(
        "UPDATE bookings SET status = 'expired', hold_expires_at = NULL, updated_at = $1 \
         WHERE id IN (SELECT id FROM bookings WHERE status = 'pending_payment' \
         AND hold_expires_at < $1 ORDER BY hold_expires_at LIMIT $2{}) RETURNING *",
        tx.lock(Lock::SkipLocked)
    );
    let mut expired = take_batch(&mut tx, sql, now, limit).await?;
    // One lock order for slot rows across all transactions: no deadlocks.
    expired.sort_by_key(|b| (b.station_id, b.slot_start));
    for b in &expired {
        offers::release_or_offer(&mut tx, b.station_id, b.slot_start, now).await?;
    }
    // The audit log comes after every slot row (lock order).
    audit_each(&mut tx, &expired, "booking.hold_expired").await?;
    tx.commit().await?;
    Ok(expired)
}

pub(super) async fn mark_no_shows(
    db: &Db,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<Booking>> {
    let mut tx = db.begin().await?;
    let sql = format!(
        "UPDATE bookings SET status = 'no_show', updated_at = $1 \
         WHERE id IN (SELECT id FROM bookings WHERE status = 'confirmed' AND valid_until < $1 \
         ORDER BY valid_until LIMIT $2{}) RETURNING *",
        tx.lock(Lock::SkipLocked)
    );
    let missed = take_batch(&mut tx, sql, now, limit).await?;
    audit_each(&mut tx, &missed, "booking.no_show").await?;
    tx.commit().await?;
    Ok(missed)
}

/// Runs a batch `UPDATE … RETURNING *` bound with `now` and `limit`.
async fn take_batch(
    tx: &mut Tx,
    sql: String,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<Booking>> {
    let rows: Vec<BookingRow> = tx
        .fetch_all(Query::assembled(sql).bind(now).bind(limit))
        .await?;
    bookings(rows)
}

/// One system audit entry per booking.
async fn audit_each(tx: &mut Tx, batch: &[Booking], action: &str) -> StoreResult<()> {
    for b in batch {
        let entry = AuditEntry {
            action: action.into(),
            target: format!("booking:{}", b.id),
            ..AuditEntry::default()
        };
        audit::append(tx, &entry).await?;
    }
    Ok(())
}
