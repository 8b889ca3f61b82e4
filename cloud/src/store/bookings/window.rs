//! Moving a confirmed booking's late edge: the token refresh of a driver held up by
//! traffic or rain (docs/architecture.md, "Capacity and forecasts"). The lane code is
//! a MAC over the window, so it changes with it; the edge hears of both by sync.

use chrono::{DateTime, Utc};
use gasq_shared::BookingId;

use crate::domain::{AuditEntry, Booking};
use crate::store::booking_rows::BookingRow;
use crate::store::changes::{self, ChangeKind};
use crate::store::db::{Db, Lock, Tx, query};
use crate::store::{StoreError, StoreResult, audit, notifications};

/// Sets `id`'s `valid_until` (only later, only while confirmed) with the first of
/// `codes` no other booking has; the booking as it is after (unchanged when the window
/// already reaches that far). `Conflict` when no code is free, `NotFound` when there
/// is no such booking.
pub(super) async fn extend(
    db: &Db,
    id: BookingId,
    valid_until: DateTime<Utc>,
    codes: &[String],
    mut entry: AuditEntry,
) -> StoreResult<Booking> {
    let mut tx = db.begin().await?;
    let q = tx
        .locked("SELECT * FROM bookings WHERE id = $1", Lock::Update)
        .bind(id);
    let row: BookingRow = tx
        .fetch_optional(q)
        .await?
        .ok_or(StoreError::NotFound("booking"))?;
    let before = Booking::try_from(row)?;
    if before.valid_until >= valid_until || before.status != crate::domain::BookingStatus::Confirmed
    {
        return Ok(before);
    }
    let code = free_code(&mut tx, codes).await?;
    let now = Utc::now();
    let row: BookingRow = tx
        .fetch_one(
            query(
                "UPDATE bookings SET valid_until = $2, code = $3, updated_at = $4 WHERE id = $1 \
                 RETURNING *",
            )
            .bind(id)
            .bind(valid_until)
            .bind(code)
            .bind(now),
        )
        .await?;
    let after = Booking::try_from(row)?;
    changes::log(&mut tx, after.station_id, ChangeKind::Booking(id)).await?;
    // The lane code follows the window: the driver hears the new one (a driver who
    // books by SMS has only the message to go by).
    if after.code != before.code {
        let mut notice = notifications::about(&after, "code-changed", serde_json::json!({}), now);
        notice.intent = format!("code-changed:{}:{}", after.id, after.code);
        notifications::enqueue(&mut tx, &notice, now).await?;
    }
    entry.detail = serde_json::json!({
        "valid_until_before": before.valid_until,
        "valid_until": after.valid_until,
        "detail": entry.detail,
    });
    audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(after)
}

/// The first of `codes` no booking has (a booking's lane codes for a new window).
pub(super) async fn free_code(tx: &mut Tx, codes: &[String]) -> StoreResult<String> {
    for c in codes {
        let taken: Option<(String,)> = tx
            .fetch_optional(query("SELECT code FROM bookings WHERE code = $1").bind(c.clone()))
            .await?;
        if taken.is_none() {
            return Ok(c.clone());
        }
    }
    Err(StoreError::Conflict(
        "no free lane code for the new window".into(),
    ))
}
