//! Whether a dispenser event may change lane state (docs/architecture.md, invariant 8):
//! only one signed by a provisioned bridge (`by`, `boot`, `seq`, then `sig`; see
//! `gasq_shared::bussig`), in a session not older than the newest seen from it, with a
//! sequence number not seen before. The broker has no per-topic permissions, so this is
//! what keeps a scanner's credentials — or a replayed capture — from faulting a lane.
//! With `allow_anonymous` (a lab setting) unsigned events are taken too.

use gasq_shared::bussig::{self, SigError};
use serde::Deserialize;

use super::Role;
use super::registry::{Registry, Replay};

/// A dispenser event that may be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The event JSON without its signature.
    pub json: Vec<u8>,
    /// The bridge that signed it (`None`: unsigned, taken under `allow_anonymous`).
    pub by: Option<String>,
    /// A newer session of `by` began: remember it durably.
    pub new_boot: Option<u64>,
}

/// Why an event was ignored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("unsigned (no provisioned bridge sent it)")]
    Unsigned,
    #[error("signed by {0:?}, which is not a provisioned bridge")]
    NotABridge(String),
    #[error("bad signature: {0}")]
    BadSignature(SigError),
    #[error("no by/boot/seq under the signature")]
    NoSession,
    #[error("replayed ({0:?})")]
    Replayed(Replay),
}

#[derive(Deserialize)]
struct Session {
    by: String,
    boot: u64,
    seq: u64,
}

/// Checks an event published on `topic` (see the module docs).
pub fn admit(
    registry: &Registry,
    anonymous: bool,
    topic: &str,
    payload: &[u8],
) -> Result<Admitted, Refused> {
    let (unsigned, _) = match bussig::split(payload) {
        Ok(parts) => parts,
        Err(SigError::Unsigned) if anonymous => {
            return Ok(Admitted {
                json: payload.to_vec(),
                by: None,
                new_boot: None,
            });
        }
        Err(SigError::Unsigned) => return Err(Refused::Unsigned),
        Err(e) => return Err(Refused::BadSignature(e)),
    };
    let session: Session = serde_json::from_slice(&unsigned).map_err(|_| Refused::NoSession)?;
    let key = match registry.event_key(&session.by) {
        Some((Role::Bridge, key)) => key,
        _ => return Err(Refused::NotABridge(session.by)),
    };
    let json =
        bussig::verify(&key, bussig::EVENT, topic, payload).map_err(Refused::BadSignature)?;
    let newer = registry
        .accept_event(&session.by, session.boot, session.seq)
        .map_err(Refused::Replayed)?;
    Ok(Admitted {
        json,
        new_boot: newer.then_some(session.boot),
        by: Some(session.by),
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::busclients::secret;

    const TOPIC: &str = "gasq/MUM-0042/lane/1/dispenser";

    fn signed(password: &str, by: &str, boot: u64, seq: u64, topic: &str) -> Vec<u8> {
        let json = format!(r#"{{"event":"fault","by":"{by}","boot":{boot},"seq":{seq}}}"#);
        bussig::sign(
            &bussig::event_key(password),
            bussig::EVENT,
            topic,
            json.as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn only_a_provisioned_bridges_fresh_signed_event_is_admitted() {
        let (bridge, bridge_pw) = secret::new_client("bridge_1", Role::Bridge, Utc::now());
        let (scanner, scanner_pw) = secret::new_client("scan_1", Role::Scanner, Utc::now());
        let registry = Registry::new();
        registry.replace(&[bridge, scanner]);

        let good = signed(&bridge_pw, "bridge_1", 5, 1, TOPIC);
        let admitted = admit(&registry, false, TOPIC, &good).unwrap();
        assert_eq!(admitted.new_boot, Some(5));
        assert_eq!(
            admit(&registry, false, TOPIC, &good),
            Err(Refused::Replayed(Replay::Seen))
        );
        let other_lane = "gasq/MUM-0042/lane/2/dispenser";
        let moved = signed(&bridge_pw, "bridge_1", 5, 2, TOPIC);
        assert!(matches!(
            admit(&registry, false, other_lane, &moved),
            Err(Refused::BadSignature(_))
        ));
        let by_scanner = signed(&scanner_pw, "scan_1", 1, 1, TOPIC);
        assert!(matches!(
            admit(&registry, false, TOPIC, &by_scanner),
            Err(Refused::NotABridge(_))
        ));
        let forged = signed(&scanner_pw, "bridge_1", 6, 1, TOPIC);
        assert!(matches!(
            admit(&registry, false, TOPIC, &forged),
            Err(Refused::BadSignature(_))
        ));
        let plain = br#"{"event":"fault"}"#;
        assert_eq!(
            admit(&registry, false, TOPIC, plain),
            Err(Refused::Unsigned)
        );
        assert!(admit(&registry, true, TOPIC, plain).is_ok());
    }
}
