//! The notifications outbox (invariant 5): one row per intent — its unique key, e.g.
//! `booking-confirmed:<booking id>` — written in the transaction of what it tells of,
//! claimed by the workers with `SKIP LOCKED` and a lease, so two replicas never send it
//! twice; retried with backoff, dead-lettered after the last attempt.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use gasq_shared::{BookingId, StationId, UserId};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::booking_rows::{BookingRow, bookings};
use super::db::{Lock, Query, Tx, query};
use super::{SqlStore, StoreResult};
use crate::domain::{Booking, BookingStatus};

/// A message to send.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Unique per intent: a second notice with it is dropped.
    pub intent: String,
    pub user: UserId,
    pub booking: Option<BookingId>,
    /// The catalogue's message id (`booking-confirmed`, `reminder`, …).
    pub message: &'static str,
    /// Arguments beyond what the booking says (`refund`, `amount`, `lane`, …).
    pub args: serde_json::Value,
    /// Not before (a reminder's time); now for the rest.
    pub at: DateTime<Utc>,
}

/// Queues `notice` inside `tx`; returns whether it was new.
pub(crate) async fn enqueue(tx: &mut Tx, n: &Notice, now: DateTime<Utc>) -> StoreResult<bool> {
    let added = tx
        .execute(
            query(
                "INSERT INTO notifications (id, intent, user_id, booking_id, message, args, status, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) \
                 ON CONFLICT (intent) DO NOTHING",
            )
            .bind(Uuid::now_v7())
            .bind(n.intent.clone())
            .bind(n.user)
            .bind(n.booking)
            .bind(n.message)
            .bind(n.args.to_string())
            .bind(n.at)
            .bind(now),
        )
        .await?;
    Ok(added > 0)
}

/// A notice to a booking's driver about it, once per message and booking.
pub(crate) fn about(
    b: &Booking,
    message: &'static str,
    args: serde_json::Value,
    at: DateTime<Utc>,
) -> Notice {
    Notice {
        intent: format!("{message}:{}", b.id),
        user: b.user_id,
        booking: Some(b.id),
        message,
        args,
        at,
    }
}

/// A confirmed booking's notices: the confirmation now, and the reminder
/// `lead_minutes` before its slot (none when that moment has passed).
pub(crate) async fn booking_confirmed(
    tx: &mut Tx,
    b: &Booking,
    lead_minutes: u16,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    enqueue(
        tx,
        &about(b, "booking-confirmed", serde_json::json!({}), now),
        now,
    )
    .await?;
    let remind_at = b.slot_start - Duration::minutes(i64::from(lead_minutes));
    if remind_at > now + Duration::minutes(1) {
        enqueue(
            tx,
            &about(b, "reminder", serde_json::json!({}), remind_at),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Puts a confirmed booking's reminder at `lead_minutes` before its slot as it is now
/// (after a move, or a change of the station's lead time): a reminder not yet sent
/// moves; one never queued (the booking came inside the old lead) is queued when its
/// moment is still ahead. A reminder already sent stays sent.
pub(crate) async fn reschedule_reminder(
    tx: &mut Tx,
    b: &Booking,
    lead_minutes: u16,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if b.status != BookingStatus::Confirmed {
        return Ok(());
    }
    let remind_at = b.slot_start - Duration::minutes(i64::from(lead_minutes));
    if remind_at <= now + Duration::minutes(1) {
        // Too late to remind: a pending reminder stays and is skipped at its time if
        // the slot has begun (the driver was told of a move by its own message).
        return Ok(());
    }
    let notice = about(b, "reminder", serde_json::json!({}), remind_at);
    let moved = tx
        .execute(
            query(
                "UPDATE notifications SET next_attempt_at = $2 WHERE intent = $1 \
                 AND status = 'pending'",
            )
            .bind(notice.intent.clone())
            .bind(remind_at),
        )
        .await?;
    if moved == 0 {
        enqueue(tx, &notice, now).await?;
    }
    Ok(())
}

/// After a station's reminder lead time changed: every confirmed booking of a slot
/// still ahead has its reminder put at the new lead.
pub(crate) async fn reschedule_station_reminders(
    tx: &mut Tx,
    station: StationId,
    lead_minutes: u16,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let rows: Vec<BookingRow> = tx
        .fetch_all(
            query(
                "SELECT * FROM bookings WHERE station_id = $1 AND status = 'confirmed' \
                 AND slot_start > $2",
            )
            .bind(station)
            .bind(now),
        )
        .await?;
    for b in bookings(rows)? {
        reschedule_reminder(tx, &b, lead_minutes, now).await?;
    }
    Ok(())
}

/// A notification claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub intent: String,
    pub user: UserId,
    pub booking: Option<BookingId>,
    pub message: String,
    pub args: serde_json::Value,
    pub attempts: i32,
    /// When it was first tried: set on a retry (the provider may have taken it then).
    pub retry_since: Option<DateTime<Utc>>,
}

/// A notification as admins see it (the dead letters).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct NotificationView {
    #[schema(value_type = String)]
    pub id: Uuid,
    pub intent: String,
    pub message: String,
    pub status: String,
    pub channel: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: Uuid,
    intent: String,
    user_id: Uuid,
    booking_id: Option<Uuid>,
    message: String,
    args: String,
    attempts: i32,
    first_tried_at: Option<DateTime<Utc>>,
}

/// The outbox.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Queues a notice on its own; whether it was new.
    async fn notify(&self, notice: Notice, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Claims due notifications for `lease`.
    async fn claim_notifications(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> StoreResult<Vec<Claimed>>;
    /// Sent (or, with `channel` `none`, deliberately not: `skipped`).
    async fn notification_sent(
        &self,
        id: Uuid,
        channel: &str,
        provider_ref: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Not sent: tried again at `retry_at`, or dead when `retry_at` is `None`.
    async fn notification_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Marks a notification not yet sent as not needed (its news went out another way,
    /// e.g. in the reply to the SMS that made the booking).
    async fn skip_notification(&self, intent: &str, why: &str) -> StoreResult<()>;
    /// Notifications by status, newest first.
    async fn notifications(&self, status: &str, limit: i64) -> StoreResult<Vec<NotificationView>>;
    /// The booking of the latest reminder sent to `user` whose booking is still
    /// confirmed (what a reply of `1` or `2` answers).
    async fn last_reminded_booking(&self, user: UserId) -> StoreResult<Option<BookingId>>;
    /// Notifications of an intent prefix for a booking (tests, the booking's history).
    async fn notifications_of_booking(
        &self,
        booking: BookingId,
    ) -> StoreResult<Vec<NotificationView>>;
}

const VIEW: &str = "SELECT id, intent, message, status, channel, attempts, last_error, created_at, \
     sent_at FROM notifications";

#[async_trait]
impl NotificationStore for SqlStore {
    async fn notify(&self, notice: Notice, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.db.begin().await?;
        let added = enqueue(&mut tx, &notice, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn claim_notifications(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> StoreResult<Vec<Claimed>> {
        let mut tx = self.db.begin().await?;
        let sql = format!(
            "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $2, \
             first_tried_at = COALESCE(first_tried_at, $1) \
             WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' \
             AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3{}) \
             RETURNING id, intent, user_id, booking_id, message, args, attempts, first_tried_at",
            tx.lock(Lock::SkipLocked)
        );
        let rows: Vec<ClaimedRow> = tx
            .fetch_all(
                Query::assembled(sql)
                    .bind(now)
                    .bind(now + lease)
                    .bind(limit),
            )
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| Claimed {
                id: r.id,
                intent: r.intent,
                user: r.user_id.into(),
                booking: r.booking_id.map(Into::into),
                message: r.message,
                args: serde_json::from_str(&r.args).unwrap_or_default(),
                retry_since: (r.attempts > 1).then_some(r.first_tried_at).flatten(),
                attempts: r.attempts,
            })
            .collect())
    }

    async fn notification_sent(
        &self,
        id: Uuid,
        channel: &str,
        provider_ref: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let status = if channel == "none" { "skipped" } else { "sent" };
        let q = query(
            "UPDATE notifications SET status = $2, channel = $3, provider_ref = $4, sent_at = $5, \
             last_error = NULL WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(status)
        .bind(channel)
        .bind(provider_ref)
        .bind(now);
        self.db.execute(q).await?;
        Ok(())
    }

    async fn notification_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let q = match retry_at {
            Some(at) => query(
                "UPDATE notifications SET last_error = $2, next_attempt_at = $3 \
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(id)
            .bind(error)
            .bind(at),
            None => query(
                "UPDATE notifications SET last_error = $2, status = 'dead' \
                 WHERE id = $1 AND status = 'pending'",
            )
            .bind(id)
            .bind(error),
        };
        self.db.execute(q).await?;
        Ok(())
    }

    async fn skip_notification(&self, intent: &str, why: &str) -> StoreResult<()> {
        let q = query(
            "UPDATE notifications SET status = 'skipped', channel = 'none', provider_ref = $2 \
             WHERE intent = $1 AND status = 'pending'",
        )
        .bind(intent)
        .bind(why);
        self.db.execute(q).await?;
        Ok(())
    }

    async fn notifications(&self, status: &str, limit: i64) -> StoreResult<Vec<NotificationView>> {
        let q = Query::assembled(format!(
            "{VIEW} WHERE status = $1 ORDER BY created_at DESC LIMIT $2"
        ))
        .bind(status)
        .bind(limit);
        self.db.fetch_all(q).await
    }

    async fn last_reminded_booking(&self, user: UserId) -> StoreResult<Option<BookingId>> {
        let q = query(
            "SELECT n.booking_id FROM notifications n JOIN bookings b ON b.id = n.booking_id \
             WHERE n.user_id = $1 AND n.message = 'reminder' AND n.status = 'sent' \
             AND b.status = 'confirmed' ORDER BY n.sent_at DESC LIMIT 1",
        )
        .bind(user);
        let found: Option<(Uuid,)> = self.db.fetch_optional(q).await?;
        Ok(found.map(|(id,)| id.into()))
    }

    async fn notifications_of_booking(
        &self,
        booking: BookingId,
    ) -> StoreResult<Vec<NotificationView>> {
        let q = Query::assembled(format!("{VIEW} WHERE booking_id = $1 ORDER BY created_at"))
            .bind(booking);
        self.db.fetch_all(q).await
    }
}
