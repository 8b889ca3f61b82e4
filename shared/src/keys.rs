//! The published token verification keys (`GET /api/v1/token-keys`, contract).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::ids::ParseError;
use crate::token::KeySet;

/// `active` keys verify (and one of them signs); `retired` keys still verify, never sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Retired,
}

/// One verification key as the cloud publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenKey {
    pub kid: u8,
    /// Always `Ed25519`.
    pub alg: String,
    /// The 32-byte public key, base64url without padding.
    pub public_key: String,
    pub status: KeyStatus,
    /// Whether the cloud signs new tokens with this key now. A freshly rotated key is
    /// published (and synced to edges) some time before it starts signing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub signing: bool,
}

impl TokenKey {
    pub fn new(kid: u8, key: &VerifyingKey, status: KeyStatus, signing: bool) -> Self {
        Self {
            kid,
            alg: "Ed25519".into(),
            public_key: URL_SAFE_NO_PAD.encode(key.as_bytes()),
            status,
            signing,
        }
    }

    pub fn verifying_key(&self) -> Result<VerifyingKey, ParseError> {
        if self.alg != "Ed25519" {
            return Err(ParseError(format!(
                "key {} uses unsupported alg {}",
                self.kid, self.alg
            )));
        }
        let raw = URL_SAFE_NO_PAD
            .decode(self.public_key.trim_end_matches('='))
            .map_err(|_| ParseError(format!("key {} is not base64url", self.kid)))?;
        let bytes: [u8; 32] = raw
            .try_into()
            .map_err(|_| ParseError(format!("key {} is not 32 bytes", self.kid)))?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|_| ParseError(format!("key {} is not a valid Ed25519 point", self.kid)))
    }
}

/// The body of `GET /api/v1/token-keys`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenKeys {
    pub keys: Vec<TokenKey>,
}

impl TokenKeys {
    /// Every published key, active or retired, ready for verification.
    pub fn key_set(&self) -> Result<KeySet, ParseError> {
        let mut set = KeySet::new();
        for key in &self.keys {
            set.insert(key.kid, key.verifying_key()?);
        }
        Ok(set)
    }
}
