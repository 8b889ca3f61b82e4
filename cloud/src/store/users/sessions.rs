//! Sessions: refresh-token families. Each login starts a family; each refresh uses one
//! token once and adds its successor; a used token presented again ends the family
//! (it was probably stolen) — unless it comes back within a short grace after its own
//! use: two requests of one browser that found the access token lapsed at the same
//! moment both present the same refresh token, and the later one is not a thief. Such
//! a use gets its own successor in the family. Logins, logouts and such reuse are
//! audited; ordinary rotations are not.

use chrono::{DateTime, Utc};
use gasq_shared::UserId;
use uuid::Uuid;

use super::{NewRefreshToken, RefreshOutcome};
use crate::domain::{AuditEntry, Role};
use crate::store::db::{Db, Tx, query};
use crate::store::{StoreResult, audit};

pub(super) async fn start(db: &Db, t: NewRefreshToken, entry: AuditEntry) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    insert(&mut tx, &t, t.family_id, t.user_id).await?;
    audit::append(&mut tx, &entry).await?;
    tx.commit().await
}

pub(super) async fn rotate(
    db: &Db,
    old_hash: &[u8],
    new: NewRefreshToken,
    now: DateTime<Utc>,
    reuse_grace: chrono::Duration,
    reuse_audit: AuditEntry,
) -> StoreResult<RefreshOutcome> {
    let mut tx = db.begin().await?;
    // The conditional update is the decision: of two racing uses, one wins.
    let used: Option<(Uuid, Uuid)> = tx
        .fetch_optional(
            query(
                "UPDATE refresh_tokens SET used_at = $2 \
                 WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
                 RETURNING user_id, family_id",
            )
            .bind(old_hash)
            .bind(now),
        )
        .await?;
    let outcome = if let Some((user, family)) = used {
        insert(&mut tx, &new, family, user.into()).await?;
        RefreshOutcome::Rotated(user.into())
    } else {
        match session_of(&mut tx, old_hash).await? {
            // Used moments ago by a request racing this one, in a live session.
            Some(s) if s.within_grace(now, reuse_grace) => {
                insert(&mut tx, &new, s.family_id, s.user_id.into()).await?;
                RefreshOutcome::Rotated(s.user_id.into())
            }
            // A used token presented again: assume it was stolen, end the family.
            Some(session) if session.used_at.is_some() => {
                end_family(&mut tx, &session, now, reuse_audit).await?;
                RefreshOutcome::Reused
            }
            _ => RefreshOutcome::Invalid,
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

pub(super) async fn end(
    db: &Db,
    token_hash: &[u8],
    now: DateTime<Utc>,
    entry: AuditEntry,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    if let Some(session) = session_of(&mut tx, token_hash).await? {
        end_family(&mut tx, &session, now, entry).await?;
    }
    tx.commit().await
}

async fn insert(tx: &mut Tx, t: &NewRefreshToken, family: Uuid, user: UserId) -> StoreResult<()> {
    tx.execute(
        query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&t.token_hash)
        .bind(family)
        .bind(user)
        .bind(t.issued_at)
        .bind(t.expires_at),
    )
    .await?;
    Ok(())
}

/// The session (refresh-token family) a token belongs to, with its owner's role.
#[derive(sqlx::FromRow)]
struct Session {
    family_id: Uuid,
    user_id: Uuid,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    role: String,
}

impl Session {
    /// Used less than `grace` before `now`, and neither ended nor expired since.
    fn within_grace(&self, now: DateTime<Utc>, grace: chrono::Duration) -> bool {
        let recent = self.used_at.is_some_and(|used| now - used < grace);
        recent && self.revoked_at.is_none() && self.expires_at > now
    }
}

async fn session_of(tx: &mut Tx, token_hash: &[u8]) -> StoreResult<Option<Session>> {
    tx.fetch_optional(
        query(
            "SELECT r.family_id, r.user_id, r.used_at, r.revoked_at, r.expires_at, u.role \
             FROM refresh_tokens r \
             JOIN users u ON u.id = r.user_id WHERE r.token_hash = $1",
        )
        .bind(token_hash),
    )
    .await
}

/// Revokes every live token of `session`'s family and audits it with `entry` — unless
/// the family had already ended (logging out of an ended session, or a reused token of
/// one, changes nothing: nothing to audit).
async fn end_family(
    tx: &mut Tx,
    session: &Session,
    now: DateTime<Utc>,
    mut entry: AuditEntry,
) -> StoreResult<()> {
    let revoked = tx
        .execute(
            query(
                "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            )
            .bind(session.family_id)
            .bind(now),
        )
        .await?;
    if revoked == 0 {
        return Ok(());
    }
    // The session's owner is actor and target.
    entry.actor_id = Some(UserId(session.user_id));
    entry.actor_role = Role::parse(&session.role);
    entry.target = format!("user:{}", session.user_id);
    entry.detail = serde_json::json!({
        "session": session.family_id,
        "revoked_tokens": revoked,
    });
    audit::append(tx, &entry).await
}
