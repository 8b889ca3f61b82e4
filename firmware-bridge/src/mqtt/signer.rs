//! Signing the bridge's dispenser events (docs/bridge.md "Station-bus security"): the
//! edge counts a `dispenser` message only when a provisioned bridge signed it, because
//! the broker lets any logged-in device publish on any topic.
//!
//! Each event gets `"by"` (the bus username), `"boot"` and `"seq"`, then `"sig"`
//! (`gasq_shared::bussig`, context `GQE1`, with the key derived from the bus password).
//! A session (`boot`) starts on every connection, from the wall clock in milliseconds
//! and always above the last one; `seq` counts from 1 within it. Events are signed when
//! handed to the connection, so one re-sent after a reconnect carries the new session:
//! the edge refuses anything from an older session, or a `seq` it has seen — a
//! replayed capture changes nothing.

use std::sync::Mutex;

use ed25519_dalek::SigningKey;
use gasq_shared::bussig;

/// See the module docs.
pub struct EventSigner {
    by: String,
    key: SigningKey,
    /// The current session and the last sequence number used in it.
    session: Mutex<(u64, u64)>,
}

impl std::fmt::Debug for EventSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSigner")
            .field("by", &self.by)
            .finish_non_exhaustive()
    }
}

impl EventSigner {
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            by: username.to_owned(),
            key: bussig::event_key(password),
            session: Mutex::new((0, 0)),
        }
    }

    /// A new connection: a new session.
    pub fn new_session(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        *session = (now.max(session.0 + 1), 0);
    }

    /// `payload` (a JSON object) signed for `topic`; `None` if it is no object.
    pub fn sign(&self, topic: &str, payload: &[u8]) -> Option<Vec<u8>> {
        let (boot, seq) = {
            let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
            session.1 += 1;
            *session
        };
        let members = format!(r#""by":"{}","boot":{boot},"seq":{seq}"#, self.by);
        let json = bussig::add_members(payload, &members).ok()?;
        bussig::sign(&self.key, bussig::EVENT, topic, &json).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_verify_with_the_key_derived_from_the_password_and_sessions_grow() {
        let signer = EventSigner::new("bridge_1", "pw");
        signer.new_session();
        let topic = "gasq/MUM-0042/lane/1/dispenser";
        let first = signer.sign(topic, br#"{"event":"ok"}"#).unwrap();
        let public = bussig::event_key("pw").verifying_key();
        let unsigned = bussig::verify(&public, bussig::EVENT, topic, &first).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&unsigned).unwrap();
        assert_eq!(
            (value["by"].as_str(), value["seq"].as_u64()),
            (Some("bridge_1"), Some(1))
        );
        let boot = value["boot"].as_u64().unwrap();
        signer.new_session();
        let second = signer.sign(topic, br#"{"event":"ok"}"#).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&second).unwrap();
        assert!(value["boot"].as_u64().unwrap() > boot);
        assert_eq!(value["seq"], 1);
        assert!(signer.sign(topic, b"not json").is_none());
    }
}
