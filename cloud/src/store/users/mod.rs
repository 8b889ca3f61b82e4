//! Accounts, station assignments, login throttle counters (`throttle.rs`), and
//! sessions (refresh-token families, in `sessions.rs`).

mod roles;
mod sessions;
mod throttle;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::{StationId, UserId};
use uuid::Uuid;

use super::db::query;
use super::{SqlStore, StoreError, StoreResult, audit};
use crate::domain::throttle::{Attempt, ThrottleRule};
use crate::domain::{AuditEntry, Role, UserRecord};

/// A user to create (personal data already encrypted and hashed by the caller).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub name: String,
    pub email_enc: Vec<u8>,
    pub email_hash: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_hash: Option<Vec<u8>>,
    pub password_hash: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A refresh token to store (only its hash).
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub token_hash: Vec<u8>,
    pub family_id: Uuid,
    pub user_id: UserId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// It was valid; it is now used and its successor stored.
    Rotated(UserId),
    /// It had been used before: the whole family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Accounts, sessions and login throttling.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Fails with `Conflict` when the e-mail or phone is taken.
    async fn create_user(&self, user: NewUser, audit: AuditEntry) -> StoreResult<UserRecord>;
    /// By the keyed hash of an e-mail address or a phone number.
    async fn user_by_lookup(&self, hash: &[u8]) -> StoreResult<Option<UserRecord>>;
    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>>;
    /// Sets what is given of a user's language and channel.
    async fn set_preferences(
        &self,
        id: UserId,
        language: Option<&str>,
        notify_by: Option<&str>,
        audit: AuditEntry,
    ) -> StoreResult<()>;
    async fn assign_station(
        &self,
        user: UserId,
        station: StationId,
        audit: AuditEntry,
    ) -> StoreResult<()>;
    async fn user_stations(&self, user: UserId) -> StoreResult<Vec<StationId>>;
    /// The station admins and technicians assigned to `station`.
    async fn station_staff(&self, station: StationId) -> StoreResult<Vec<UserRecord>>;
    /// Users, newest first: of `role` if given, whose name contains `name_like`.
    async fn users(
        &self,
        role: Option<Role>,
        name_like: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<UserRecord>>;
    /// Gives `user` the role `role` and ends their sessions (the new role applies from
    /// their next sign-in); `false` when it was their role already. Audited with `entry`.
    async fn set_role(
        &self,
        user: UserId,
        role: Role,
        now: DateTime<Utc>,
        entry: AuditEntry,
    ) -> StoreResult<bool>;
    /// Decides a login attempt at `now` on the throttle counter `key` (an account, a
    /// client address, a device cookie) by `rule`, counting it as a failure if it goes.
    async fn login_attempt(
        &self,
        key: &[u8],
        now: DateTime<Utc>,
        rule: &ThrottleRule,
    ) -> StoreResult<Attempt>;
    /// Forgets the counter `key` (a login through it succeeded).
    async fn clear_login_attempts(&self, key: &[u8]) -> StoreResult<()>;
    /// Takes one successful attempt back out of the shared counter `key`.
    async fn forgive_login_attempt(
        &self,
        key: &[u8],
        now: DateTime<Utc>,
        rule: &ThrottleRule,
    ) -> StoreResult<()>;
    /// Forgets counters whose last delay ran out before `quiet_since`.
    async fn prune_login_attempts(&self, quiet_since: DateTime<Utc>) -> StoreResult<u64>;
    /// Starts a session (a login): stores its first refresh token and `audit`.
    async fn insert_refresh_token(
        &self,
        token: NewRefreshToken,
        audit: AuditEntry,
    ) -> StoreResult<()>;
    /// Uses `old_hash` once and stores `new` in the same family, atomically. A token
    /// used less than `reuse_grace` ago gets `new` too (a racing request of the same
    /// browser). When a used token comes back later, its family is revoked and
    /// `reuse_audit` is appended with the family's owner as actor and target (ordinary
    /// rotations are not audited).
    async fn rotate_refresh_token(
        &self,
        old_hash: &[u8],
        new: NewRefreshToken,
        now: DateTime<Utc>,
        reuse_grace: chrono::Duration,
        reuse_audit: AuditEntry,
    ) -> StoreResult<RefreshOutcome>;
    /// Ends the session `token_hash` belongs to (a logout). If that revoked anything,
    /// `audit` is appended with the session's owner as actor and target.
    async fn revoke_refresh_family(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        audit: AuditEntry,
    ) -> StoreResult<()>;
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, u: NewUser, entry: AuditEntry) -> StoreResult<UserRecord> {
        let mut tx = self.db.begin().await?;
        let row: UserRow = tx
            .fetch_one(
                query(
                    "INSERT INTO users (id, name, email_enc, email_hash, phone_enc, phone_hash, \
                     password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     RETURNING *",
                )
                .bind(u.id)
                .bind(u.name)
                .bind(u.email_enc)
                .bind(u.email_hash)
                .bind(u.phone_enc)
                .bind(u.phone_hash)
                .bind(u.password_hash)
                .bind(u.role.as_str())
                .bind(u.created_at),
            )
            .await
            .map_err(|e| {
                e.conflict_if_taken("an account with this e-mail or phone already exists")
            })?;
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        row.try_into()
    }

    async fn user_by_lookup(&self, hash: &[u8]) -> StoreResult<Option<UserRecord>> {
        let q = query("SELECT * FROM users WHERE email_hash = $1 OR phone_hash = $1").bind(hash);
        let row: Option<UserRow> = self.db.fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let q = query("SELECT * FROM users WHERE id = $1").bind(id);
        let row: Option<UserRow> = self.db.fetch_optional(q).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn assign_station(
        &self,
        user: UserId,
        station: StationId,
        entry: AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.db.begin().await?;
        tx.execute(
            query(
                "INSERT INTO user_stations (user_id, station_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(user)
            .bind(station),
        )
        .await?;
        audit::append(&mut tx, &entry).await?;
        tx.commit().await
    }

    async fn set_preferences(
        &self,
        id: UserId,
        language: Option<&str>,
        notify_by: Option<&str>,
        entry: AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.db.begin().await?;
        tx.execute(
            query(
                "UPDATE users SET language = COALESCE($2, language), \
                 notify_by = COALESCE($3, notify_by) WHERE id = $1",
            )
            .bind(id)
            .bind(language)
            .bind(notify_by),
        )
        .await?;
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn station_staff(&self, station: StationId) -> StoreResult<Vec<UserRecord>> {
        roles::station_staff(&self.db, station).await
    }

    async fn users(
        &self,
        role: Option<Role>,
        name_like: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<UserRecord>> {
        roles::users(&self.db, role, name_like, limit).await
    }

    async fn set_role(
        &self,
        user: UserId,
        role: Role,
        now: DateTime<Utc>,
        entry: AuditEntry,
    ) -> StoreResult<bool> {
        roles::set_role(&self.db, user, role, now, entry).await
    }

    async fn user_stations(&self, user: UserId) -> StoreResult<Vec<StationId>> {
        let q =
            query("SELECT station_id FROM user_stations WHERE user_id = $1 ORDER BY station_id")
                .bind(user);
        let ids: Vec<(i64,)> = self.db.fetch_all(q).await?;
        ids.into_iter()
            .map(|(id,)| StationId::try_from(id).map_err(StoreError::corrupt))
            .collect()
    }

    async fn login_attempt(
        &self,
        key: &[u8],
        now: DateTime<Utc>,
        rule: &ThrottleRule,
    ) -> StoreResult<Attempt> {
        throttle::attempt(&self.db, key, now, rule).await
    }

    async fn clear_login_attempts(&self, key: &[u8]) -> StoreResult<()> {
        throttle::clear(&self.db, key).await
    }

    async fn forgive_login_attempt(
        &self,
        key: &[u8],
        now: DateTime<Utc>,
        rule: &ThrottleRule,
    ) -> StoreResult<()> {
        throttle::forgive(&self.db, key, now, rule).await
    }

    async fn prune_login_attempts(&self, quiet_since: DateTime<Utc>) -> StoreResult<u64> {
        throttle::prune(&self.db, quiet_since).await
    }

    async fn insert_refresh_token(&self, t: NewRefreshToken, entry: AuditEntry) -> StoreResult<()> {
        sessions::start(&self.db, t, entry).await
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &[u8],
        new: NewRefreshToken,
        now: DateTime<Utc>,
        reuse_grace: chrono::Duration,
        reuse_audit: AuditEntry,
    ) -> StoreResult<RefreshOutcome> {
        sessions::rotate(&self.db, old_hash, new, now, reuse_grace, reuse_audit).await
    }

    async fn revoke_refresh_family(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        entry: AuditEntry,
    ) -> StoreResult<()> {
        sessions::end(&self.db, token_hash, now, entry).await
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    name: String,
    email_enc: Vec<u8>,
    phone_enc: Option<Vec<u8>>,
    password_hash: String,
    role: String,
    language: String,
    notify_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: r.id.into(),
            name: r.name,
            email_enc: r.email_enc,
            phone_enc: r.phone_enc,
            password_hash: r.password_hash,
            role: Role::parse(&r.role)
                .ok_or_else(|| StoreError::corrupt(format!("role {}", r.role)))?,
            language: r.language,
            notify_by: r.notify_by,
            created_at: r.created_at,
        })
    }
}
