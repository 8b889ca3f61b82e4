//! Making a credential: a random password (shown once), its SHA-256 for the broker's
//! check, the public half of the event key derived from it, and a Mosquitto `$7$` hash
//! for an external broker's password file.
//!
//! Why SHA-256 and not argon2: the password is 256 random bits made here, never chosen
//! by a person, so a slow hash adds no safety — and every CONNECT is checked, so a slow
//! hash would let a flood of CONNECTs burn the station box's CPU.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::{BusClient, Role};

/// Mosquitto 2's default PBKDF2 iteration count for `$7$` hashes.
const MOSQUITTO_ITERATIONS: u32 = 101;

/// A new credential for `username`, and its password (to show once).
pub fn new_client(username: &str, role: Role, now: DateTime<Utc>) -> (BusClient, String) {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let password = URL_SAFE_NO_PAD.encode(raw);
    let event_key = gasq_shared::bussig::event_key(&password).verifying_key();
    let client = BusClient {
        username: username.to_owned(),
        role,
        password_sha256: sha256_hex(&password),
        event_key: gasq_shared::bussig::encode_key(&event_key),
        mosquitto_hash: mosquitto_hash(&password),
        event_boot: 0,
        created_at: now,
    };
    (client, password)
}

/// SHA-256 of a password, in hex (what is stored).
pub fn sha256_hex(password: &str) -> String {
    Sha256::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `password` hashes to `stored`, compared in constant time.
pub fn matches(password: &str, stored: &str) -> bool {
    bool::from(sha256_hex(password).as_bytes().ct_eq(stored.as_bytes()))
}

/// `$7$101$<salt>$<hash>`: PBKDF2-HMAC-SHA512 as `mosquitto_passwd` writes it.
pub fn mosquitto_hash(password: &str) -> String {
    let mut salt = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let hash = pbkdf2_sha512(password.as_bytes(), &salt, MOSQUITTO_ITERATIONS);
    format!(
        "$7${MOSQUITTO_ITERATIONS}${}${}",
        STANDARD.encode(salt),
        STANDARD.encode(hash)
    )
}

/// PBKDF2 (RFC 8018) with HMAC-SHA512, one 64-byte block.
fn pbkdf2_sha512(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 64] {
    let prf = Hmac::<Sha512>::new_from_slice(password).expect("HMAC takes any key length");
    let mut mac = prf.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 64] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut mac = prf.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        out.iter_mut().zip(u.iter()).for_each(|(o, x)| *o ^= x);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_hash_only() {
        let (client, password) = new_client("lane_1", Role::Bridge, Utc::now());
        assert_eq!(password.len(), 43);
        assert!(matches(&password, &client.password_sha256));
        assert!(!matches("guess", &client.password_sha256));
        assert!(client.mosquitto_hash.starts_with("$7$101$"));
    }

    #[test]
    fn pbkdf2_sha512_matches_the_published_test_vector() {
        // PBKDF2-HMAC-SHA512("password", "salt", 1 iteration, 64 bytes).
        let out = pbkdf2_sha512(b"password", b"salt", 1);
        assert_eq!(
            hex_of(&out),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252\
             c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"
        );
    }

    fn hex_of(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
