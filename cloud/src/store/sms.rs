//! Inbound SMS seen: by Twilio's MessageSid (a replayed webhook is not acted on twice)
//! and per sender, for the per-phone rate limit.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::db::query;
use super::{SqlStore, StoreResult};

#[async_trait]
pub trait SmsStore: Send + Sync {
    /// Records an inbound message; `false` when this MessageSid was seen before.
    async fn record_inbound_sms(
        &self,
        message_sid: &str,
        phone_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Messages from this sender since `since`.
    async fn inbound_sms_since(&self, phone_hash: &[u8], since: DateTime<Utc>) -> StoreResult<i64>;
    /// Forgets messages older than `before`; how many.
    async fn prune_inbound_sms(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

#[async_trait]
impl SmsStore for SqlStore {
    async fn record_inbound_sms(
        &self,
        message_sid: &str,
        phone_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let q = query(
            "INSERT INTO sms_inbound (message_sid, phone_hash, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (message_sid) DO NOTHING",
        )
        .bind(message_sid)
        .bind(phone_hash.to_vec())
        .bind(now);
        Ok(self.db.execute(q).await? > 0)
    }

    async fn inbound_sms_since(&self, phone_hash: &[u8], since: DateTime<Utc>) -> StoreResult<i64> {
        let q =
            query("SELECT COUNT(*) FROM sms_inbound WHERE phone_hash = $1 AND received_at >= $2")
                .bind(phone_hash.to_vec())
                .bind(since);
        let (n,): (i64,) = self.db.fetch_one(q).await?;
        Ok(n)
    }

    async fn prune_inbound_sms(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.db
            .execute(query("DELETE FROM sms_inbound WHERE received_at < $1").bind(before))
            .await
    }
}
