//! The device identity: the Ed25519 key made at enrollment (PKCS#8 PEM in
//! `device.key`, mode 0600) and the short-lived EdDSA JWTs it signs for every request
//! to the cloud (`Authorization: Bearer …`, claims `DeviceClaims`).

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use gasq_shared::DeviceId;
use gasq_shared::sync::{DEVICE_JWT_AUDIENCE, DEVICE_JWT_TTL_SECS, DeviceClaims};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::datadir;

const PEM_LABEL: &str = "PRIVATE KEY";

/// Why the device key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("device key {path}: {why}")]
    File { path: String, why: String },
    #[error("cannot sign a device token: {0}")]
    Sign(String),
}

/// This box's key and id.
#[derive(Clone)]
pub struct Device {
    pub id: DeviceId,
    key: SigningKey,
    /// PKCS#8 DER of the key, what jsonwebtoken signs with.
    encoding: EncodingKey,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Makes a new key pair.
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

/// The public key as enrollment sends it: base64url without padding.
pub fn public_key_b64(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())
}

/// Writes the key as PKCS#8 PEM with mode 0600.
pub fn save(path: &Path, key: &SigningKey) -> Result<(), KeyError> {
    let err = |why: String| KeyError::File {
        path: path.display().to_string(),
        why,
    };
    let der = key.to_pkcs8_der().map_err(|e| err(e.to_string()))?;
    let body = STANDARD.encode(der.as_bytes());
    let mut pem = format!("-----BEGIN {PEM_LABEL}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {PEM_LABEL}-----\n"));
    datadir::write_private(path, pem.as_bytes()).map_err(|e| err(e.to_string()))
}

/// Reads the key written by [`save`].
pub fn load_key(path: &Path) -> Result<SigningKey, KeyError> {
    let err = |why: String| KeyError::File {
        path: path.display().to_string(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = STANDARD
        .decode(body.trim())
        .map_err(|_| err("not a PEM file".into()))?;
    SigningKey::from_pkcs8_der(&der).map_err(|_| err("not an Ed25519 PKCS#8 key".into()))
}

impl Device {
    pub fn new(id: DeviceId, key: SigningKey) -> Result<Self, KeyError> {
        let der = key
            .to_pkcs8_der()
            .map_err(|e| KeyError::Sign(e.to_string()))?;
        Ok(Self {
            id,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            key,
        })
    }

    pub fn public_key_b64(&self) -> String {
        public_key_b64(&self.key)
    }

    /// A fresh device JWT issued at `iat` (unix seconds, by the trusted clock), valid
    /// for `DEVICE_JWT_TTL_SECS`.
    pub fn jwt(&self, iat: i64) -> Result<String, KeyError> {
        let claims = DeviceClaims {
            sub: self.id.to_string(),
            aud: DEVICE_JWT_AUDIENCE.into(),
            iat,
            exp: iat + DEVICE_JWT_TTL_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn a_saved_key_loads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        let key = generate();
        save(&path, &key).unwrap();
        assert_eq!(datadir::mode_of(&path).unwrap(), 0o600);
        assert_eq!(load_key(&path).unwrap().to_bytes(), key.to_bytes());
    }

    #[test]
    fn a_damaged_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.key");
        std::fs::write(&path, "hello").unwrap();
        let err = load_key(&path).unwrap_err().to_string();
        assert!(err.contains("device.key"), "{err}");
    }

    #[test]
    fn the_cloud_can_verify_a_device_jwt_with_the_enrolled_public_key() {
        let device = Device::new(DeviceId::new(), generate()).unwrap();
        let token = device.jwt(Utc::now().timestamp()).unwrap();
        let key = DecodingKey::from_ed_components(&device.public_key_b64()).unwrap();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[DEVICE_JWT_AUDIENCE]);
        let data = jsonwebtoken::decode::<DeviceClaims>(&token, &key, &validation).unwrap();
        assert_eq!(data.claims.sub, device.id.to_string());
        assert_eq!(data.claims.exp - data.claims.iat, DEVICE_JWT_TTL_SECS);
    }
}
