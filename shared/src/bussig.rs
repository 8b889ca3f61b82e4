//! Signatures on the station bus (docs/architecture.md "Station-bus security"): the
//! edge signs every verdict, a provisioned bridge signs every dispenser event, so a
//! client on the forecourt Wi-Fi can neither start a pump nor take a lane down.
//!
//! The broker has no per-topic permissions (rumqttd 0.20), so authority travels inside
//! the payload. A signed payload is a JSON object whose **last member** is
//! `"sig":"<Ed25519 signature, base64url without padding>"`, written exactly as
//! `,"sig":"…"}` at the end of the bytes. The signature covers
//!
//! ```text
//! context || "\n" || topic || "\n" || unsigned
//! ```
//!
//! where `context` is `GQV1` for verdicts and `GQE1` for dispenser events, `topic` is
//! the MQTT topic it is published on (so it cannot be moved to another lane), and
//! `unsigned` is the payload with that last member removed (the bytes before `,"sig":`
//! followed by `}`). No JSON canonicalisation is needed: the verifier checks the bytes
//! it received, then parses them.
//!
//! Keys: verdicts are signed with the edge's station-bus key; [`key_id`] names it (the
//! verdict's `kid`). A bridge's event key is derived from its bus password
//! ([`event_key`]), so the edge stores only the public half and the bridge needs
//! nothing but the credentials `gasq-edge bus-client add` printed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// Context of a verdict signature.
pub const VERDICT: &[u8] = b"GQV1";
/// Context of a dispenser event signature.
pub const EVENT: &[u8] = b"GQE1";

const SIG_MEMBER: &[u8] = b",\"sig\":\"";
/// Length of a base64url (no padding) Ed25519 signature.
const SIG_B64_LEN: usize = 86;

/// Why a payload's signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("not signed: the payload does not end with a \"sig\" member")]
    Unsigned,
    #[error("the \"sig\" member is not a base64url Ed25519 signature")]
    BadEncoding,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the payload is not a JSON object")]
    NotAnObject,
}

/// What is signed for `topic` and the unsigned payload.
fn message(context: &[u8], topic: &str, unsigned: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(context.len() + topic.len() + unsigned.len() + 2);
    out.extend_from_slice(context);
    out.push(b'\n');
    out.extend_from_slice(topic.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(unsigned);
    out
}

/// `json` (an object) with `members` (e.g. `"kid":"ab"`) added as its last members.
pub fn add_members(json: &[u8], members: &str) -> Result<Vec<u8>, SigError> {
    let body = json
        .strip_suffix(b"}")
        .filter(|b| b.starts_with(b"{"))
        .ok_or(SigError::NotAnObject)?;
    let mut out = body.to_vec();
    if body.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(members.as_bytes());
    out.push(b'}');
    Ok(out)
}

/// Signs the JSON object `json` for `topic`: the same bytes with the `sig` member added.
pub fn sign(
    key: &SigningKey,
    context: &[u8],
    topic: &str,
    json: &[u8],
) -> Result<Vec<u8>, SigError> {
    if !(json.starts_with(b"{") && json.ends_with(b"}")) || json.len() < 3 {
        return Err(SigError::NotAnObject);
    }
    let sig = key.sign(&message(context, topic, json));
    let encoded = URL_SAFE_NO_PAD.encode(sig.to_bytes());
    let mut out = json[..json.len() - 1].to_vec();
    out.extend_from_slice(SIG_MEMBER);
    out.extend_from_slice(encoded.as_bytes());
    out.extend_from_slice(b"\"}");
    Ok(out)
}

/// Splits a signed payload into the unsigned bytes and the signature.
pub fn split(payload: &[u8]) -> Result<(Vec<u8>, Signature), SigError> {
    let tail = SIG_MEMBER.len() + SIG_B64_LEN + 2;
    if payload.len() < tail + 2 || !payload.ends_with(b"\"}") {
        return Err(SigError::Unsigned);
    }
    let start = payload.len() - tail;
    if &payload[start..start + SIG_MEMBER.len()] != SIG_MEMBER {
        return Err(SigError::Unsigned);
    }
    let encoded = &payload[start + SIG_MEMBER.len()..payload.len() - 2];
    let raw = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| SigError::BadEncoding)?;
    let bytes: [u8; 64] = raw.try_into().map_err(|_| SigError::BadEncoding)?;
    let mut unsigned = payload[..start].to_vec();
    unsigned.push(b'}');
    Ok((unsigned, Signature::from_bytes(&bytes)))
}

/// Checks `payload`'s signature for `topic`; the unsigned JSON when it holds.
pub fn verify(
    key: &VerifyingKey,
    context: &[u8],
    topic: &str,
    payload: &[u8],
) -> Result<Vec<u8>, SigError> {
    let (unsigned, sig) = split(payload)?;
    key.verify(&message(context, topic, &unsigned), &sig)
        .map_err(|_| SigError::Mismatch)?;
    Ok(unsigned)
}

/// A public key's id: the first 8 bytes of its SHA-256, in hex (the verdict's `kid`).
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A public key as configs carry it: base64url without padding.
pub fn encode_key(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Reads a key written by [`encode_key`].
pub fn parse_key(text: &str) -> Result<VerifyingKey, String> {
    let raw = URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| "not base64url".to_owned())?;
    let bytes: [u8; 32] = raw
        .try_into()
        .map_err(|_| "not 32 bytes (an Ed25519 public key)".to_owned())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid Ed25519 public key".to_owned())
}

/// The key a bridge signs its dispenser events with, derived from its bus password:
/// Ed25519 with the seed SHA-256(`"GQE1 event key\n"` || password). The edge keeps the
/// public half from when the credentials were made.
pub fn event_key(password: &str) -> SigningKey {
    let mut hasher = Sha256::new();
    hasher.update(b"GQE1 event key\n");
    hasher.update(password.as_bytes());
    SigningKey::from_bytes(&hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "gasq/MUM-0042/lane/1/verdict";

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[3u8; 32])
    }

    #[test]
    fn a_signed_payload_verifies_and_gives_back_the_unsigned_json() {
        let json = br#"{"accepted":true,"lane":1}"#;
        let signed = sign(&key(), VERDICT, TOPIC, json).unwrap();
        assert!(signed.starts_with(br#"{"accepted":true,"lane":1,"sig":""#));
        let value: serde_json::Value = serde_json::from_slice(&signed).unwrap();
        assert!(value["sig"].is_string());
        let unsigned = verify(&key().verifying_key(), VERDICT, TOPIC, &signed).unwrap();
        assert_eq!(unsigned, json);
    }

    #[test]
    fn an_altered_moved_or_foreign_payload_does_not_verify() {
        let signed = sign(&key(), VERDICT, TOPIC, br#"{"lane":1}"#).unwrap();
        let public = key().verifying_key();
        let altered = String::from_utf8(signed.clone()).unwrap().replace("1", "2");
        assert!(verify(&public, VERDICT, TOPIC, altered.as_bytes()).is_err());
        let other_lane = "gasq/MUM-0042/lane/2/verdict";
        assert_eq!(
            verify(&public, VERDICT, other_lane, &signed),
            Err(SigError::Mismatch)
        );
        assert_eq!(
            verify(&public, EVENT, TOPIC, &signed),
            Err(SigError::Mismatch)
        );
        let stranger = SigningKey::from_bytes(&[4u8; 32]).verifying_key();
        assert_eq!(
            verify(&stranger, VERDICT, TOPIC, &signed),
            Err(SigError::Mismatch)
        );
        assert_eq!(
            verify(&public, VERDICT, TOPIC, br#"{"lane":1}"#),
            Err(SigError::Unsigned)
        );
    }

    #[test]
    fn members_are_added_last_and_keys_round_trip() {
        assert_eq!(
            add_members(b"{\"a\":1}", "\"b\":2").unwrap(),
            b"{\"a\":1,\"b\":2}"
        );
        assert_eq!(add_members(b"{}", "\"b\":2").unwrap(), b"{\"b\":2}");
        assert!(add_members(b"[1]", "\"b\":2").is_err());
        let public = key().verifying_key();
        assert_eq!(parse_key(&encode_key(&public)).unwrap(), public);
        assert_eq!(key_id(&public).len(), 16);
        assert_ne!(
            event_key("a").verifying_key(),
            event_key("b").verifying_key()
        );
    }
}
