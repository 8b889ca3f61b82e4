//! Access tokens: short-lived JWTs (HS256, key derived from the master key), so every
//! replica can check them without a database round trip.

use chrono::Utc;
use gasq_shared::UserId;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::crypto::Crypto;
use crate::domain::Role;

const ISSUER: &str = "gasq-cloud";
const AUDIENCE: &str = "gasq-api";

/// What an access token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: uuid::Uuid,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Issues and checks access tokens.
#[derive(Clone)]
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_secs: i64,
}

impl std::fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokens")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    pub fn new(crypto: &Crypto, ttl_secs: i64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(crypto.jwt_secret()),
            decoding: DecodingKey::from_secret(crypto.jwt_secret()),
            ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(&self, user: UserId, role: Role) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user.0,
            role,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + self.ttl_secs,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.leeway = 5;
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_with_the_same_master_key() {
        let a = AccessTokens::new(&Crypto::from_master(&[1; 32]), 900);
        let b = AccessTokens::new(&Crypto::from_master(&[2; 32]), 900);
        let user = UserId::new();
        let t = a.issue(user, Role::Driver).unwrap();
        let claims = a.verify(&t).unwrap();
        assert_eq!((claims.sub, claims.role), (user.0, Role::Driver));
        assert!(b.verify(&t).is_none());
        assert!(a.verify("garbage").is_none());
    }
}
