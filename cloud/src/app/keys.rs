//! Rotating the token signing keys (`gasq-cloud keys rotate|list`).

use chrono::Duration;
use gasq_shared::keys::TokenKeys;

use super::{App, Invalid};
use crate::signing::SigningError;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Signing(#[from] SigningError),
}

/// Publishes a new key that starts signing `lead_hours` from now (edges sync it
/// meanwhile); returns its kid. Older keys keep verifying.
pub async fn rotate(app: &App, lead_hours: i64) -> Result<u8, KeyError> {
    if !(0..=24 * 30).contains(&lead_hours) {
        return Err(Invalid::new("lead_hours", "use 0 to 720 hours").into());
    }
    // Audited as the system's act (the signer names the key and when it signs).
    Ok(app.signer.rotate(Duration::hours(lead_hours), None).await?)
}

/// The keys as published (from the signer's cache, at most a minute old).
pub async fn list(app: &App) -> Result<TokenKeys, KeyError> {
    Ok(app.signer.published().await?)
}
