//! Password hashing: argon2id with OWASP's parameters (19 MiB, t=2, p=1), run on the
//! blocking pool so a login never stalls the async workers.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;

use crate::secret::Secret;

/// Shortest and longest password accepted (NIST SP 800-63B: at least 8, allow long).
pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

fn argon2() -> Argon2<'static> {
    // 19 MiB, 2 iterations, 1 lane: fixed valid parameters.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks length rules; the message is for the person choosing the password.
pub fn check_policy(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(format!("use at least {MIN_LEN} characters"));
    }
    if n > MAX_LEN {
        return Err(format!("use at most {MAX_LEN} characters"));
    }
    Ok(())
}

/// Each hash takes 19 MiB for a moment: at most this many run at once, so a flood of
/// logins queues instead of exhausting memory.
fn permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new((cores * 2).clamp(2, 32))
    })
}

/// Hashes a password into a PHC string (algorithm, parameters and salt included).
pub async fn hash(password: Secret) -> anyhow::Result<String> {
    let _permit = permits().acquire().await?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _enter = span.enter();
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Verifies a password against a stored hash. With `None` (no such account) it still
/// spends the time of a real check, so response timing does not reveal accounts.
pub async fn verify(password: Secret, stored: Option<String>) -> bool {
    let Ok(_permit) = permits().acquire().await else {
        return false;
    };
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _enter = span.enter();
        let dummy;
        let phc = match &stored {
            Some(s) => s.as_str(),
            None => {
                dummy = dummy_hash();
                dummy.as_str()
            }
        };
        let ok = PasswordHash::new(phc)
            .map(|parsed| {
                argon2()
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && stored.is_some()
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(b"not a password", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let h = hash(Secret::new("correct horse")).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(Secret::new("correct horse"), Some(h.clone())).await);
        assert!(!verify(Secret::new("wrong horse"), Some(h)).await);
        assert!(!verify(Secret::new("correct horse"), None).await);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_policy("1234567").is_err());
        assert!(check_policy("12345678").is_ok());
    }
}
