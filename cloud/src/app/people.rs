//! People and their roles: who staffs a station (its staff see it), and the super
//! admin's list of users and role changes (audited; a changed user's sessions end).

use gasq_shared::{StationId, UserId};

use super::access::{self, AccessError};
use super::{App, Invalid};
use crate::domain::{Actor, Role, UserRecord};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("only super admins manage users")]
    NotSuperAdmin,
    #[error("no such user")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, PeopleError>;

/// How many users one look-up lists.
const USERS_PAGE: i64 = 200;

/// The staff of a station (those who work there see them).
pub async fn station_staff(
    app: &App,
    actor: &Actor,
    station: StationId,
) -> Result<Vec<UserRecord>> {
    access::require_station(app, actor, station).await?;
    Ok(app.store.station_staff(station).await?)
}

/// Users, newest first, of `role` and with `name` in their name when given.
pub async fn users(
    app: &App,
    actor: &Actor,
    role: Option<Role>,
    name: Option<&str>,
) -> Result<Vec<UserRecord>> {
    if actor.role != Role::SuperAdmin {
        return Err(PeopleError::NotSuperAdmin);
    }
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    Ok(app.store.users(role, name, USERS_PAGE).await?)
}

/// Gives a user another role; returns whether it changed. A super admin cannot change
/// their own (so the last one cannot lock everybody out by mistake).
pub async fn set_role(app: &App, actor: &Actor, user: UserId, role: Role) -> Result<bool> {
    if actor.role != Role::SuperAdmin {
        return Err(PeopleError::NotSuperAdmin);
    }
    if user == actor.id {
        return Err(
            Invalid::new("user_id", "ask another super admin to change your own role").into(),
        );
    }
    let before = app.store.user(user).await?.ok_or(PeopleError::NotFound)?;
    let entry = actor.audit(
        "user.set_role",
        format!("user:{user}"),
        serde_json::json!({ "from": before.role.as_str(), "to": role.as_str() }),
    );
    Ok(app
        .store
        .set_role(user, role, chrono::Utc::now(), entry)
        .await?)
}
