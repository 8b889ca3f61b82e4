//! Sessions: the tokens a sign-in gives, refreshing them (each refresh token works
//! once, give or take a short grace for racing requests) and ending them. Logins,
//! logouts and refresh tokens caught being reused are in the audit log; ordinary
//! refreshes are not.

use std::net::IpAddr;

use chrono::{Duration, Utc};
use gasq_shared::UserId;

use super::App;
use super::accounts::{AccountError, Tokens};
use crate::auth::refresh;
use crate::domain::{AuditEntry, Role};
use crate::secret::Secret;
use crate::store::{NewRefreshToken, RefreshOutcome};

type Result<T> = std::result::Result<T, AccountError>;

/// A refresh token to store, valid for the configured lifetime from now.
pub(super) fn refresh_token(
    app: &App,
    hash: Vec<u8>,
    family: uuid::Uuid,
    user: UserId,
) -> NewRefreshToken {
    let now = Utc::now();
    NewRefreshToken {
        token_hash: hash,
        family_id: family,
        user_id: user,
        issued_at: now,
        expires_at: now + Duration::days(app.settings.auth.refresh_token_ttl_days),
    }
}

pub(super) fn tokens(app: &App, user: UserId, role: Role, refresh_token: String) -> Result<Tokens> {
    Ok(Tokens {
        access_token: app.access_tokens.issue(user, role)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: app.access_tokens.ttl_secs(),
        device_token: None,
    })
}

/// An audit entry about a session, from `ip`; the store names the session's owner.
fn session_audit(action: &str, ip: Option<IpAddr>) -> AuditEntry {
    AuditEntry {
        action: action.into(),
        ip: ip.map(|i| i.to_string()),
        ..AuditEntry::default()
    }
}

/// Trades a refresh token for a new pair. Each refresh token works once, give or take
/// `auth.refresh_reuse_grace_secs` for racing requests; using one again later ends the
/// session everywhere (it was probably stolen).
pub async fn refresh(app: &App, token: &Secret, ip: Option<IpAddr>) -> Result<Tokens> {
    let (new_token, new_hash) = refresh::generate();
    // The family and owner are the old token's: the store keeps them.
    let new = refresh_token(app, new_hash, uuid::Uuid::nil(), UserId(uuid::Uuid::nil()));
    let old = refresh::hash(token.expose());
    // Only a reuse (which ends the session) is audited, not every rotation.
    let reuse = session_audit("auth.refresh_reused", ip);
    let grace = Duration::seconds(app.settings.auth.refresh_reuse_grace_secs);
    match app
        .store
        .rotate_refresh_token(&old, new, Utc::now(), grace, reuse)
        .await?
    {
        RefreshOutcome::Rotated(user_id) => {
            let user = app
                .store
                .user(user_id)
                .await?
                .ok_or(AccountError::RefreshInvalid)?;
            tokens(app, user.id, user.role, new_token)
        }
        RefreshOutcome::Reused => Err(AccountError::RefreshReused),
        RefreshOutcome::Invalid => Err(AccountError::RefreshInvalid),
    }
}

/// Ends the session the refresh token belongs to.
pub async fn logout(app: &App, token: &Secret, ip: Option<IpAddr>) -> Result<()> {
    let hash = refresh::hash(token.expose());
    let entry = session_audit("auth.logout", ip);
    app.store
        .revoke_refresh_family(&hash, Utc::now(), entry)
        .await?;
    Ok(())
}
