//! Device cookies (OWASP's "Slow Down Online Guessing Attacks with Device Cookies"): a
//! browser or app that has signed in to an account gets a cookie naming that account,
//! signed by the cloud. Presented with a login for the same account, it takes the
//! device's own throttle counter instead of the account's and the address's — so an
//! attacker guessing that account's password from elsewhere never slows its owner down.
//!
//! Stateless: `base64url(user id 16 ‖ nonce 16 ‖ issued at, unix seconds, u64 BE 8 ‖
//! HMAC-SHA256 tag 32)` under a key derived from the master key. The nonce names the
//! device's counter; a cookie older than its lifetime no longer counts.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use gasq_shared::UserId;
use rand::RngCore;
use uuid::Uuid;

use crate::crypto::Crypto;

/// The cookie's name (and the `device_token` a login answers, for apps).
pub const COOKIE_NAME: &str = "gasq_device";

const BODY_LEN: usize = 16 + 16 + 8;
const TAG_LEN: usize = 32;

/// A verified device cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceCookie {
    pub user: UserId,
    pub nonce: [u8; 16],
}

/// A new cookie for `user`, issued at `now`.
pub fn issue(crypto: &Crypto, user: UserId, now: DateTime<Utc>) -> String {
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    let mut bytes = Vec::with_capacity(BODY_LEN + TAG_LEN);
    bytes.extend_from_slice(user.0.as_bytes());
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&u64::try_from(now.timestamp()).unwrap_or(0).to_be_bytes());
    let tag = crypto.device_cookie_tag(&bytes);
    bytes.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The cookie `token` is, if it is one of ours, untampered, and younger than `ttl`.
pub fn verify(
    crypto: &Crypto,
    token: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Option<DeviceCookie> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    if bytes.len() != BODY_LEN + TAG_LEN {
        return None;
    }
    let (body, tag) = bytes.split_at(BODY_LEN);
    if !crypto.device_cookie_verifies(body, tag) {
        return None;
    }
    let user = Uuid::from_slice(&body[..16]).ok()?;
    let nonce: [u8; 16] = body[16..32].try_into().ok()?;
    let issued = i64::try_from(u64::from_be_bytes(body[32..].try_into().ok()?)).ok()?;
    let issued = DateTime::<Utc>::from_timestamp(issued, 0)?;
    (now - issued < ttl).then_some(DeviceCookie {
        user: user.into(),
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_verifies_for_its_user_until_it_is_too_old_or_tampered_with() {
        let crypto = Crypto::from_master(&[7; 32]);
        let (user, now) = (UserId::new(), Utc::now());
        let cookie = issue(&crypto, user, now);
        let ttl = Duration::days(365);
        let seen = verify(&crypto, &cookie, now, ttl).unwrap();
        assert_eq!(seen.user, user);
        assert!(verify(&crypto, &cookie, now + Duration::days(366), ttl).is_none());
        let mut bytes = URL_SAFE_NO_PAD.decode(&cookie).unwrap();
        bytes[0] ^= 1; // another user
        assert!(verify(&crypto, &URL_SAFE_NO_PAD.encode(&bytes), now, ttl).is_none());
        let other = Crypto::from_master(&[8; 32]);
        assert!(verify(&other, &cookie, now, ttl).is_none());
        assert!(verify(&crypto, "not a cookie", now, ttl).is_none());
    }
}
