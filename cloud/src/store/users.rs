//! Accounts, station assignments, refresh-token families, login failures.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{StationId, UserId};

use super::audit::append_audit;
use super::rows::UserRow;
use super::sql::{conflict_or, in_tx, on_pool};
use super::{
    NewRefreshToken, NewUser, RefreshOutcome, SqlStore, StoreError, StoreResult, UserStore,
};
use crate::domain::{AuditEntry, Role, UserRecord};

/// Revokes every live refresh token of `session`'s family inside `tx` and audits it
/// with `audit` — unless the family had already ended (logging out of an ended session,
/// or a reused token of one, changes nothing: nothing to audit).
macro_rules! end_family {
    ($tx:ident, $session:expr, $now:expr, $audit:expr) => {{
        let revoked = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind($session.family_id)
        .bind($now)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if revoked > 0 {
            let entry = $session.audit($audit, revoked);
            append_audit!($tx, entry);
        }
    }};
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, u: NewUser, audit: AuditEntry) -> StoreResult<UserRecord> {
        let row: UserRow = in_tx!(self, |tx, pg| {
            let row = sqlx::query_as(
                "INSERT INTO users (id, name, email_enc, email_hash, phone_enc, phone_hash, password_hash, role, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
            )
            .bind(u.id.0)
            .bind(&u.name)
            .bind(&u.email_enc)
            .bind(&u.email_hash)
            .bind(&u.phone_enc)
            .bind(&u.phone_hash)
            .bind(&u.password_hash)
            .bind(u.role.as_str())
            .bind(u.created_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, "an account with this e-mail or phone already exists"))?;
            append_audit!(tx, audit);
            row
        });
        row.try_into()
    }

    async fn user_by_lookup(&self, hash: &[u8]) -> StoreResult<Option<UserRecord>> {
        let row: Option<UserRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM users WHERE email_hash = $1 OR phone_hash = $1")
                .bind(hash)
                .fetch_optional(p)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let row: Option<UserRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM users WHERE id = $1")
                .bind(id.0)
                .fetch_optional(p)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    async fn assign_station(
        &self,
        user: UserId,
        station: StationId,
        audit: AuditEntry,
    ) -> StoreResult<()> {
        in_tx!(self, |tx, pg| {
            sqlx::query("INSERT INTO user_stations (user_id, station_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(user.0)
                .bind(i64::from(station))
                .execute(&mut *tx)
                .await?;
            append_audit!(tx, audit);
        });
        Ok(())
    }

    async fn user_stations(&self, user: UserId) -> StoreResult<Vec<StationId>> {
        let ids: Vec<i64> = on_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT station_id FROM user_stations WHERE user_id = $1 ORDER BY station_id",
            )
            .bind(user.0)
            .fetch_all(p)
            .await?
        });
        ids.into_iter()
            .map(|id| StationId::try_from(id).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    async fn record_login_failure(&self, account: &[u8], at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("INSERT INTO login_failures (account_hash, at) VALUES ($1, $2)")
                .bind(account)
                .bind(at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn login_failures_since(&self, account: &[u8], since: DateTime<Utc>) -> StoreResult<u32> {
        let n: i64 = on_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_failures WHERE account_hash = $1 AND at >= $2",
            )
            .bind(account)
            .bind(since)
            .fetch_one(p)
            .await?
        });
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn clear_login_failures(&self, account: &[u8]) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query("DELETE FROM login_failures WHERE account_hash = $1")
                .bind(account)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    async fn prune_login_failures(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        Ok(on_pool!(self, |p| {
            sqlx::query("DELETE FROM login_failures WHERE at < $1")
                .bind(before)
                .execute(p)
                .await?
                .rows_affected()
        }))
    }

    async fn insert_refresh_token(&self, t: NewRefreshToken, audit: AuditEntry) -> StoreResult<()> {
        in_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&t.token_hash)
            .bind(t.family_id)
            .bind(t.user_id.0)
            .bind(t.issued_at)
            .bind(t.expires_at)
            .execute(&mut *tx)
            .await?;
            append_audit!(tx, audit);
        });
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &[u8],
        new: NewRefreshToken,
        now: DateTime<Utc>,
        reuse_audit: AuditEntry,
    ) -> StoreResult<RefreshOutcome> {
        let outcome = in_tx!(self, |tx, pg| {
            // The conditional update is the decision: of two racing uses, one wins.
            let used: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                "UPDATE refresh_tokens SET used_at = $2 \
                 WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
                 RETURNING user_id, family_id",
            )
            .bind(old_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((user_id, family_id)) = used {
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&new.token_hash)
                .bind(family_id)
                .bind(user_id)
                .bind(new.issued_at)
                .bind(new.expires_at)
                .execute(&mut *tx)
                .await?;
                RefreshOutcome::Rotated(user_id.into())
            } else {
                let seen: Option<SessionRow> = sqlx::query_as(SESSION_OF_TOKEN)
                    .bind(old_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                match seen {
                    // A used token presented again: assume it was stolen, end the family.
                    Some(session) if session.used_at.is_some() => {
                        end_family!(tx, session, now, reuse_audit);
                        RefreshOutcome::Reused
                    }
                    _ => RefreshOutcome::Invalid,
                }
            }
        });
        Ok(outcome)
    }

    async fn revoke_refresh_family(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<()> {
        in_tx!(self, |tx, pg| {
            let session: Option<SessionRow> = sqlx::query_as(SESSION_OF_TOKEN)
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(session) = session {
                end_family!(tx, session, now, audit);
            }
        });
        Ok(())
    }
}

/// The session (refresh-token family) a token belongs to, with its owner's role.
const SESSION_OF_TOKEN: &str = "SELECT r.family_id, r.user_id, r.used_at, u.role FROM refresh_tokens r \
     JOIN users u ON u.id = r.user_id WHERE r.token_hash = $1";

#[derive(sqlx::FromRow)]
struct SessionRow {
    family_id: uuid::Uuid,
    user_id: uuid::Uuid,
    used_at: Option<DateTime<Utc>>,
    role: String,
}

impl SessionRow {
    /// Completes an audit entry about this session: its owner is actor and target.
    fn audit(&self, mut entry: AuditEntry, revoked_tokens: u64) -> AuditEntry {
        entry.actor_id = Some(UserId(self.user_id));
        entry.actor_role = Role::parse(&self.role);
        entry.target = format!("user:{}", self.user_id);
        entry.detail = serde_json::json!({
            "session": self.family_id,
            "revoked_tokens": revoked_tokens,
        });
        entry
    }
}
