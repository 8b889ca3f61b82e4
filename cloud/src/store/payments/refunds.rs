//! Refunds: requested once per payment and reason (a unique row), claimed by the
//! payments pass and sent until the gateway takes them, recorded as processed when the
//! gateway says so. A settlement and a cancellation request theirs inside the
//! transaction that decided them (`settle.rs`).

use chrono::{DateTime, Duration, Utc};
use gasq_shared::{BookingId, StationId};
use uuid::Uuid;

use super::{RefundJob, RefundNews, RefundReason, RefundRecord};
use crate::domain::money;
use crate::domain::{AuditEntry, Booking};
use crate::store::booking_rows::BookingRow;
use crate::store::db::{Db, Lock, Query, Tx, query};
use crate::store::ledger::{LedgerEntry, LedgerKind, append};
use crate::store::notifications::{self, Notice};
use crate::store::{StoreError, StoreResult, audit, cases};

/// Requests a refund of `amount` of `payment_id`, once per reason; returns whether this
/// requested it.
pub(super) async fn request(
    tx: &mut Tx,
    booking: &Booking,
    payment_id: &str,
    amount: i64,
    reason: RefundReason,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if amount <= 0 {
        return Ok(false);
    }
    let added = tx
        .execute(
            query(
                "INSERT INTO refunds (id, booking_id, station_id, payment_id, reason, amount_paise, \
                 status, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7, $7, $7) ON CONFLICT DO NOTHING",
            )
            .bind(Uuid::now_v7())
            .bind(booking.id)
            .bind(booking.station_id)
            .bind(payment_id)
            .bind(reason.as_str())
            .bind(amount)
            .bind(now),
        )
        .await?;
    if added > 0 {
        let entry = AuditEntry {
            action: "refund.requested".into(),
            target: format!("booking:{}", booking.id),
            detail: serde_json::json!({
                "payment_id": payment_id, "amount_paise": amount, "reason": reason.as_str(),
            }),
            ..AuditEntry::default()
        };
        audit::append(tx, &entry).await?;
    }
    Ok(added > 0)
}

/// Why `payment_id` is being refunded in full, if it is (a late or second payment).
pub(super) async fn requested_for(
    tx: &mut Tx,
    payment_id: &str,
) -> StoreResult<Option<RefundReason>> {
    let q = query(
        "SELECT reason FROM refunds WHERE payment_id = $1 \
         AND reason IN ('late_payment', 'duplicate_payment')",
    )
    .bind(payment_id);
    let found: Option<(String,)> = tx.fetch_optional(q).await?;
    Ok(found.and_then(|(r,)| RefundReason::parse(&r)))
}

#[derive(sqlx::FromRow)]
struct RefundRow {
    id: Uuid,
    booking_id: Uuid,
    station_id: i64,
    payment_id: String,
    reason: String,
    amount_paise: i64,
    status: String,
    generation: i32,
    attempts: i32,
    gateway_refund_id: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl RefundRow {
    fn job(self) -> StoreResult<RefundJob> {
        Ok(RefundJob {
            id: self.id,
            booking_id: self.booking_id.into(),
            station_id: StationId::try_from(self.station_id).map_err(StoreError::corrupt)?,
            payment_id: self.payment_id,
            amount_paise: self.amount_paise,
            generation: self.generation,
            attempts: self.attempts,
        })
    }

    fn record(self) -> StoreResult<RefundRecord> {
        Ok(RefundRecord {
            id: self.id,
            reason: RefundReason::parse(&self.reason)
                .ok_or_else(|| StoreError::corrupt(format!("refund reason {}", self.reason)))?,
            amount_paise: self.amount_paise,
            status: self.status,
            gateway_refund_id: self.gateway_refund_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const COLUMNS: &str = "id, booking_id, station_id, payment_id, reason, amount_paise, status, \
     generation, attempts, gateway_refund_id, created_at, updated_at";

pub(super) async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> StoreResult<Vec<RefundJob>> {
    let mut tx = db.begin().await?;
    let sql = format!(
        "UPDATE refunds SET next_attempt_at = $2, attempts = attempts + 1, updated_at = $1 \
         WHERE id IN (SELECT id FROM refunds WHERE status = 'requested' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at LIMIT $3{}) RETURNING {COLUMNS}",
        tx.lock(Lock::SkipLocked)
    );
    let rows: Vec<RefundRow> = tx
        .fetch_all(
            Query::assembled(sql)
                .bind(now)
                .bind(now + lease)
                .bind(limit),
        )
        .await?;
    tx.commit().await?;
    rows.into_iter().map(RefundRow::job).collect()
}

pub(super) async fn sent(
    db: &Db,
    job: &RefundJob,
    gateway_refund_id: &str,
    processed: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    // Only from `requested`: a `refund.processed` that overtook this answer stays.
    let status = if processed { "processed" } else { "sent" };
    tx.execute(
        query(
            "UPDATE refunds SET status = $2, gateway_refund_id = $3, last_error = NULL, \
             updated_at = $4 WHERE id = $1 AND status = 'requested'",
        )
        .bind(job.id)
        .bind(status)
        .bind(gateway_refund_id)
        .bind(now),
    )
    .await?;
    if processed {
        refund_entry(
            &mut tx,
            job.station_id,
            job.booking_id,
            gateway_refund_id,
            job.amount_paise,
            "payments pass",
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The `refund` ledger row (once per gateway refund) and, when new, the driver's notice.
async fn refund_entry(
    tx: &mut Tx,
    station: StationId,
    booking: BookingId,
    gateway_refund_id: &str,
    amount: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let news = refund_row(tx, station, booking, gateway_refund_id, amount, actor, now).await?;
    if news {
        let row: BookingRow = tx
            .fetch_one(query("SELECT * FROM bookings WHERE id = $1").bind(booking))
            .await?;
        let b = Booking::try_from(row)?;
        let notice = Notice {
            intent: format!("refund-processed:{gateway_refund_id}"),
            user: b.user_id,
            booking: Some(b.id),
            message: "refund-processed",
            args: serde_json::json!({ "amount": money::rupees(amount) }),
            at: now,
        };
        notifications::enqueue(tx, &notice, now).await?;
    }
    Ok(news)
}

async fn refund_row(
    tx: &mut Tx,
    station: StationId,
    booking: BookingId,
    gateway_refund_id: &str,
    amount: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let entry = LedgerEntry {
        at: now,
        station_id: station,
        booking_id: Some(booking),
        kind: LedgerKind::Refund,
        amount_paise: amount,
        gateway_ref: Some(gateway_refund_id.to_owned()),
        actor: actor.to_owned(),
        detail: String::new(),
    };
    append(tx, &entry).await
}

pub(super) async fn refused(
    db: &Db,
    job: &RefundJob,
    error: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        query(
            "UPDATE refunds SET status = 'failed', last_error = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'requested'",
        )
        .bind(job.id)
        .bind(error)
        .bind(now),
    )
    .await?;
    let detail = format!(
        "the gateway refused a refund of {} for booking {} ({error}): refund the driver another \
         way, then resolve this case",
        money::rupees(job.amount_paise),
        job.booking_id
    );
    let subject = job.id.to_string();
    cases::raise(
        &mut tx,
        job.station_id,
        Some(job.booking_id),
        "refund_refused",
        Some(&subject),
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn processed(
    db: &Db,
    gateway_refund_id: &str,
    ours: Option<Uuid>,
    payment_id: &str,
    amount: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let mut tx = db.begin().await?;
    let q = query(
        "UPDATE refunds SET status = 'processed', gateway_refund_id = $1, last_error = NULL, \
         updated_at = $3 WHERE (gateway_refund_id = $1 OR id = $2) AND status IN ('requested', 'sent') \
         RETURNING booking_id, station_id",
    )
    .bind(gateway_refund_id)
    .bind(ours.unwrap_or_default())
    .bind(now);
    let updated: Option<(Uuid, i64)> = tx.fetch_optional(q).await?;
    let target = match updated {
        Some(found) => Some(found),
        // Already processed, or a refund GasQ never asked for (made in the gateway's
        // dashboard): the ledger still gets it, once.
        None => {
            let q =
                query("SELECT booking_id, station_id FROM payments WHERE id = $1").bind(payment_id);
            tx.fetch_optional(q).await?
        }
    };
    let Some((booking, station)) = target else {
        return Ok(false);
    };
    let station = StationId::try_from(station).map_err(StoreError::corrupt)?;
    let news = refund_entry(
        &mut tx,
        station,
        booking.into(),
        gateway_refund_id,
        amount,
        "gateway webhook",
        now,
    )
    .await?;
    if updated.is_none() && news {
        let known: Option<(i32,)> = tx
            .fetch_optional(
                query("SELECT 1 FROM refunds WHERE gateway_refund_id = $1").bind(gateway_refund_id),
            )
            .await?;
        if known.is_none() {
            let detail = format!(
                "the gateway refunded {} of payment {payment_id} (refund {gateway_refund_id}), which \
                 GasQ did not ask for: check who made it",
                money::rupees(amount)
            );
            cases::raise(
                &mut tx,
                station,
                Some(booking.into()),
                "unexpected_refund",
                Some(gateway_refund_id),
                detail,
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(news || updated.is_some())
}

pub(super) async fn failed_at_gateway(
    db: &Db,
    gateway_refund_id: &str,
    ours: Option<Uuid>,
    reason: &str,
    retry_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<RefundNews> {
    let mut tx = db.begin().await?;
    // Keyed on the gateway's refund id only: a duplicate of an old failure must not
    // send the next attempt's refund again.
    let q = query(
        "UPDATE refunds SET status = 'requested', generation = generation + 1, \
         gateway_refund_id = NULL, last_error = $2, next_attempt_at = $3, updated_at = $4 \
         WHERE gateway_refund_id = $1 AND status = 'sent' \
         RETURNING booking_id, station_id, amount_paise",
    )
    .bind(gateway_refund_id)
    .bind(reason)
    .bind(retry_at)
    .bind(now);
    let updated: Option<(Uuid, i64, i64)> = tx.fetch_optional(q).await?;
    let Some((booking, station, amount)) = updated else {
        // Ours, but the gateway's answer to our request is still in flight: not yet.
        let q = query("SELECT 1 FROM refunds WHERE id = $1 AND status = 'requested'")
            .bind(ours.unwrap_or_default());
        let in_flight: Option<(i32,)> = tx.fetch_optional(q).await?;
        return Ok(if in_flight.is_some() {
            RefundNews::NotYetKnown
        } else {
            RefundNews::AlreadyKnown
        });
    };
    let entry = LedgerEntry {
        at: now,
        station_id: StationId::try_from(station).map_err(StoreError::corrupt)?,
        booking_id: Some(booking.into()),
        kind: LedgerKind::RefundFailed,
        amount_paise: amount,
        gateway_ref: Some(gateway_refund_id.to_owned()),
        actor: "gateway webhook".into(),
        detail: reason.chars().take(200).collect(),
    };
    append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(RefundNews::Recorded)
}

pub(super) async fn of_booking(db: &Db, booking: BookingId) -> StoreResult<Vec<RefundRecord>> {
    let q = Query::assembled(format!(
        "SELECT {COLUMNS} FROM refunds WHERE booking_id = $1 ORDER BY created_at"
    ))
    .bind(booking);
    let rows: Vec<RefundRow> = db.fetch_all(q).await?;
    rows.into_iter().map(RefundRow::record).collect()
}
