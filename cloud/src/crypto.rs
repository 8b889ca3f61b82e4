//! Encryption at rest. One master key (from config, or generated into the data dir)
//! yields, by HKDF, separate keys for: personal data (AES-256-GCM), look-up hashes of
//! personal data (HMAC-SHA256), wrapping token signing keys (AES-256-GCM), access
//! tokens (HMAC for HS256 JWTs), and device cookies (HMAC-SHA256). Replicas sharing the master key share all of them.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gasq_shared::StationId;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// Why the master key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("master_key must be base64 of exactly 32 bytes")]
    BadMasterKey,
    #[error("cannot read or write the master key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("ciphertext does not decrypt with this master key (wrong key, or data tampered with)")]
    Decrypt,
}

/// Keys derived from the master key.
#[derive(Clone)]
pub struct Crypto {
    pii: Aes256Gcm,
    lookup: HmacSha256,
    device_cookie: HmacSha256,
    wrap: Aes256Gcm,
    jwt_secret: Zeroizing<[u8; 32]>,
    test_payments: Zeroizing<[u8; 32]>,
    reply_links: HmacSha256,
    lane_codes: HmacSha256,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto([redacted])")
    }
}

/// Where the master key came from, so startup can warn about a generated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Config,
    ExistingFile,
    Generated,
}

fn derive(master: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(b"gasq master key v1"), master);
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is always a valid HKDF-SHA256 output length.
    hk.expand(label, out.as_mut()).unwrap_or_default();
    out
}

impl Crypto {
    pub fn from_master(master: &[u8; 32]) -> Self {
        let pii = derive(master, b"pii-encryption");
        let lookup = derive(master, b"pii-lookup");
        let wrap = derive(master, b"signing-key-wrap");
        let device_cookie = derive(master, b"device-cookie");
        Self {
            pii: Aes256Gcm::new(pii.as_ref().into()),
            lookup: <HmacSha256 as Mac>::new_from_slice(lookup.as_ref())
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
            device_cookie: <HmacSha256 as Mac>::new_from_slice(device_cookie.as_ref())
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
            wrap: Aes256Gcm::new(wrap.as_ref().into()),
            jwt_secret: derive(master, b"access-token-hs256"),
            test_payments: derive(master, b"test-mode-payments"),
            reply_links: <HmacSha256 as Mac>::new_from_slice(
                derive(master, b"reminder-reply-links").as_ref(),
            )
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
            lane_codes: <HmacSha256 as Mac>::new_from_slice(
                derive(master, b"station-lane-codes").as_ref(),
            )
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
        }
    }

    /// The configured key, else the key file in `data_dir`, else a new key written there.
    pub fn load_or_generate(
        configured: Option<&Secret>,
        data_dir: &Path,
    ) -> Result<(Self, KeySource), KeyError> {
        if let Some(secret) = configured {
            return Ok((
                Self::from_master(&parse_master(secret.expose())?),
                KeySource::Config,
            ));
        }
        let path = data_dir.join("master.key");
        let io = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        if path.exists() {
            let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(io)?);
            return Ok((
                Self::from_master(&parse_master(text.trim())?),
                KeySource::ExistingFile,
            ));
        }
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let mut key = Zeroizing::new([0u8; 32]);
        rand::thread_rng().fill_bytes(key.as_mut());
        write_private(&path, &STANDARD.encode(key.as_ref())).map_err(io)?;
        Ok((Self::from_master(&key), KeySource::Generated))
    }

    /// Encrypts personal data; the output is nonce ‖ ciphertext.
    pub fn encrypt_pii(&self, plain: &str) -> Vec<u8> {
        seal(&self.pii, plain.as_bytes(), b"pii")
    }

    pub fn decrypt_pii(&self, sealed: &[u8]) -> Result<String, KeyError> {
        let bytes = open(&self.pii, sealed, b"pii")?;
        String::from_utf8(bytes).map_err(|_| KeyError::Decrypt)
    }

    /// A keyed hash for finding a row by a personal value without storing it in clear.
    pub fn lookup_hash(&self, normalized: &str) -> Vec<u8> {
        let mut mac = self.lookup.clone();
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The tag a device cookie carries over `body`.
    pub fn device_cookie_tag(&self, body: &[u8]) -> Vec<u8> {
        let mut mac = self.device_cookie.clone();
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `tag` is `body`'s device-cookie tag (compared in constant time).
    pub fn device_cookie_verifies(&self, body: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.device_cookie.clone();
        mac.update(body);
        mac.verify_slice(tag).is_ok()
    }

    /// Wraps a token signing key's private bytes for storage.
    pub fn wrap_key(&self, private: &[u8]) -> Vec<u8> {
        seal(&self.wrap, private, b"signing-key")
    }

    pub fn unwrap_key(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        open(&self.wrap, sealed, b"signing-key").map(Zeroizing::new)
    }

    /// The tag of a reminder's reply link for `subject` (80 bits: the link is one click,
    /// and a guess must not answer for someone else).
    pub fn reply_link_tag(&self, subject: &[u8]) -> [u8; 10] {
        let mut mac = self.reply_links.clone();
        mac.update(subject);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; 10];
        tag.copy_from_slice(&full[..10]);
        tag
    }

    /// Version `version` of `station`'s lane-code secret. Derived rather than stored:
    /// it is as safe at rest as the master key, and a rotation is a version bump.
    pub fn lane_code_secret(&self, station: StationId, version: u32) -> Zeroizing<[u8; 32]> {
        let mut mac = self.lane_codes.clone();
        mac.update(&station.get().to_be_bytes());
        mac.update(&version.to_be_bytes());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }

    /// A secret of a local stand-in for an outside provider (`purpose`: the test-mode
    /// gateway's key secret or webhook secret, the SMS webhook token when no Twilio
    /// account is set), stable for this master key: what the provider's dashboard would
    /// issue, made here because the embedded default has no account anywhere.
    pub fn local_provider_secret(&self, purpose: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(self.test_payments.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(purpose.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn jwt_secret(&self) -> &[u8] {
        self.jwt_secret.as_ref()
    }
}

fn parse_master(text: &str) -> Result<[u8; 32], KeyError> {
    let raw = Zeroizing::new(
        STANDARD
            .decode(text.trim())
            .map_err(|_| KeyError::BadMasterKey)?,
    );
    raw.as_slice()
        .try_into()
        .map_err(|_| KeyError::BadMasterKey)
}

fn seal(cipher: &Aes256Gcm, plain: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    // Encryption with a fresh nonce and in-memory buffers cannot fail.
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    out
}

fn open(cipher: &Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
    if sealed.len() < 12 + 16 {
        return Err(KeyError::Decrypt);
    }
    let (nonce, ct) = sealed.split_at(12);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| KeyError::Decrypt)
}

/// Writes a file only the owner can read.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_round_trips_and_is_not_stored_in_clear() {
        let c = Crypto::from_master(&[9; 32]);
        let sealed = c.encrypt_pii("+919876543210");
        assert!(!sealed.windows(10).any(|w| w == b"9876543210"));
        assert_eq!(c.decrypt_pii(&sealed).unwrap(), "+919876543210");
    }

    #[test]
    fn another_master_key_cannot_decrypt() {
        let sealed = Crypto::from_master(&[1; 32]).encrypt_pii("a@b.in");
        assert!(Crypto::from_master(&[2; 32]).decrypt_pii(&sealed).is_err());
    }

    #[test]
    fn lookup_hashes_are_stable_and_keyed() {
        let a = Crypto::from_master(&[1; 32]);
        assert_eq!(a.lookup_hash("x"), a.lookup_hash("x"));
        assert_ne!(
            a.lookup_hash("x"),
            Crypto::from_master(&[2; 32]).lookup_hash("x")
        );
    }

    #[test]
    fn a_generated_master_key_is_reused_on_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let (a, source) = Crypto::load_or_generate(None, dir.path()).unwrap();
        assert_eq!(source, KeySource::Generated);
        let (b, source) = Crypto::load_or_generate(None, dir.path()).unwrap();
        assert_eq!(source, KeySource::ExistingFile);
        assert_eq!(b.decrypt_pii(&a.encrypt_pii("x")).unwrap(), "x");
    }
}
