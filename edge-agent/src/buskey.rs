//! The station-bus key: the Ed25519 key the agent signs every verdict with
//! (`gasq_shared::bussig`, context `GQV1`), kept in `bus.key` in the data dir (PKCS#8
//! PEM, mode 0600) and made the first time it is needed. Bridges verify verdicts with
//! its public half, which `gasq-edge bus-client add` prints as `verdict_key`.

use ed25519_dalek::{SigningKey, VerifyingKey};
use gasq_shared::bussig;

use crate::datadir::DataDir;
use crate::device::{self, KeyError};

/// The key and its id, ready to sign verdicts.
#[derive(Clone)]
pub struct BusKey {
    key: SigningKey,
    kid: String,
}

impl std::fmt::Debug for BusKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl BusKey {
    pub fn new(key: SigningKey) -> Self {
        let kid = bussig::key_id(&key.verifying_key());
        Self { key, kid }
    }

    /// Reads `bus.key`, making it first if this data dir has none.
    pub fn load_or_create(data: &DataDir) -> Result<Self, KeyError> {
        let path = data.bus_key();
        if !path.exists() {
            device::save(&path, &device::generate())?;
        }
        Ok(Self::new(device::load_key(&path)?))
    }

    pub fn public(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The key id verdicts carry as `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A verdict's JSON for `topic`, with `kid` and then `sig` added (docs/bridge.md
    /// "Signed verdicts").
    pub fn sign_verdict(&self, topic: &str, json: &[u8]) -> Result<Vec<u8>, bussig::SigError> {
        let with_kid = bussig::add_members(json, &format!("\"kid\":\"{}\"", self.kid))?;
        bussig::sign(&self.key, bussig::VERDICT, topic, &with_kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_signed_verdicts_verify_with_its_public_half() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        let first = BusKey::load_or_create(&data).unwrap();
        let again = BusKey::load_or_create(&data).unwrap();
        assert_eq!(first.public(), again.public());
        assert_eq!(crate::datadir::mode_of(&data.bus_key()).unwrap(), 0o600);
        let topic = "gasq/MUM-0042/lane/1/verdict";
        let signed = first.sign_verdict(topic, br#"{"accepted":false}"#).unwrap();
        let unsigned = bussig::verify(&first.public(), bussig::VERDICT, topic, &signed).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&unsigned).unwrap();
        assert_eq!(value["kid"], first.kid());
    }
}
