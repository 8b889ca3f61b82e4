//! Who works where and as what: a station's staff, the users a super admin looks
//! through, and changing a user's role (which ends their sessions, so the new role
//! applies at once and no old token outlives it).

use chrono::{DateTime, Utc};
use gasq_shared::{StationId, UserId};

use super::UserRow;
use crate::domain::{AuditEntry, Role, UserRecord};
use crate::store::db::{Db, Query, query};
use crate::store::{StoreResult, audit};

pub(super) async fn station_staff(db: &Db, station: StationId) -> StoreResult<Vec<UserRecord>> {
    let q = query(
        "SELECT u.* FROM users u JOIN user_stations s ON s.user_id = u.id \
         WHERE s.station_id = $1 ORDER BY u.role, u.name",
    )
    .bind(station);
    let rows: Vec<UserRow> = db.fetch_all(q).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub(super) async fn users(
    db: &Db,
    role: Option<Role>,
    name_like: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<UserRecord>> {
    // Names are plain text; e-mails and phones are sealed and not searchable here.
    let pattern = name_like.map(|n| format!("%{}%", n.to_lowercase()));
    let q = Query::assembled(
        "SELECT * FROM users WHERE ($1 IS NULL OR role = $1) \
         AND ($2 IS NULL OR LOWER(name) LIKE $2) ORDER BY created_at DESC LIMIT $3"
            .to_owned(),
    )
    .bind(role.map(|r| r.as_str().to_owned()))
    .bind(pattern)
    .bind(limit);
    let rows: Vec<UserRow> = db.fetch_all(q).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub(super) async fn set_role(
    db: &Db,
    user: UserId,
    role: Role,
    now: DateTime<Utc>,
    entry: AuditEntry,
) -> StoreResult<bool> {
    let mut tx = db.begin().await?;
    let changed = tx
        .execute(
            query("UPDATE users SET role = $2 WHERE id = $1 AND role <> $2")
                .bind(user)
                .bind(role.as_str()),
        )
        .await?;
    if changed == 0 {
        return Ok(false);
    }
    tx.execute(
        query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user)
        .bind(now),
    )
    .await?;
    // A driver has no stations; staff keep theirs when moving between staff roles.
    if role == Role::Driver {
        tx.execute(query("DELETE FROM user_stations WHERE user_id = $1").bind(user))
            .await?;
    }
    audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(true)
}
