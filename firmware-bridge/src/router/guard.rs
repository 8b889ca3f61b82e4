//! Which verdicts the bridge believes (docs/bridge.md "Station-bus security"): only one
//! the edge signed (`gasq_shared::bussig`, context `GQV1`, for the topic it arrived
//! on, so it names this station and lane), fresh (`at` within `[mqtt]
//! verdict_max_age` of the bridge's clock), made since this bridge started, and not seen
//! before. A forged, altered, stale or replayed verdict never arms a pump; the router
//! shows it as `NO bad_verdict` and counts it.
//!
//! The verdicts seen are kept in memory only: a verdict made before the bridge started
//! is refused, because a restart forgets which of those were used already (a verdict
//! captured off the bus and replayed after a restart would arm the pump a second time).
//! The price: a car scanned in the moments the bridge was restarting gets no fuel from
//! that verdict, and the attendant authorises it by hand.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use gasq_shared::bussig::{self, SigError};
use gasq_shared::topics::{MAX_SCAN_BYTES, Verdict};

/// Why a verdict is not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadVerdict {
    #[error("no verdict_key is configured: nothing can be verified")]
    NoKey,
    #[error("{0}")]
    Signature(SigError),
    #[error("signed, but not contract JSON: {0}")]
    NotContract(String),
    #[error("stale: {0} s from the bridge's clock")]
    Stale(i64),
    #[error("replayed: this verdict was already received")]
    Replayed,
    #[error("made before this bridge started: it may have been used already")]
    BeforeStart,
}

/// See the module docs.
#[derive(Debug)]
pub struct VerdictGuard {
    key: Option<VerifyingKey>,
    max_age: Duration,
    /// Signatures of verdicts believed lately (a verdict repeats only as a replay).
    seen: HashMap<Vec<u8>, Instant>,
    /// When this bridge started (its clock): what `seen` knows begins here.
    started: DateTime<Utc>,
}

impl VerdictGuard {
    pub fn new(key: Option<VerifyingKey>, max_age: Duration) -> Self {
        Self {
            key,
            max_age,
            seen: HashMap::new(),
            started: Utc::now(),
        }
    }

    /// The verdict in `payload` on `topic`, if it is to be believed.
    pub fn check(
        &mut self,
        topic: &str,
        payload: &[u8],
        wall: DateTime<Utc>,
        now: Instant,
    ) -> Result<Verdict, BadVerdict> {
        let key = self.key.as_ref().ok_or(BadVerdict::NoKey)?;
        if payload.len() > MAX_SCAN_BYTES {
            return Err(BadVerdict::NotContract("too large".into()));
        }
        let unsigned =
            bussig::verify(key, bussig::VERDICT, topic, payload).map_err(BadVerdict::Signature)?;
        let verdict: Verdict = serde_json::from_slice(&unsigned)
            .map_err(|e| BadVerdict::NotContract(e.to_string()))?;
        let age = (wall - verdict.at).num_seconds();
        let limit = i64::try_from(self.max_age.as_secs()).unwrap_or(i64::MAX);
        if age.abs() > limit {
            return Err(BadVerdict::Stale(age));
        }
        if verdict.at < self.started {
            return Err(BadVerdict::BeforeStart);
        }
        // A replay within the age limit is caught here; an older one is stale anyway.
        let forget_after = self.max_age * 2;
        self.seen
            .retain(|_, at| now.duration_since(*at) < forget_after);
        let (_, sig) = bussig::split(payload).map_err(BadVerdict::Signature)?;
        if self.seen.insert(sig.to_bytes().to_vec(), now).is_some() {
            return Err(BadVerdict::Replayed);
        }
        Ok(verdict)
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;

    const TOPIC: &str = "gasq/MUM-0042/lane/1/verdict";

    fn signed(key: &SigningKey, at: DateTime<Utc>, topic: &str) -> Vec<u8> {
        let json = format!(
            r#"{{"scan_id":null,"accepted":true,"reason":"ok","booking_id":null,"vehicle":null,"quantity_kg":null,"lane":1,"at":"{}"}}"#,
            at.to_rfc3339()
        );
        bussig::sign(key, bussig::VERDICT, topic, json.as_bytes()).unwrap()
    }

    #[test]
    fn only_a_fresh_unseen_verdict_signed_by_the_edge_for_this_topic_is_believed() {
        let edge = SigningKey::from_bytes(&[1u8; 32]);
        let mut guard = VerdictGuard::new(Some(edge.verifying_key()), Duration::from_secs(30));
        let (wall, now) = (Utc::now(), Instant::now());
        let good = signed(&edge, wall, TOPIC);
        assert!(guard.check(TOPIC, &good, wall, now).is_ok());
        assert_eq!(
            guard.check(TOPIC, &good, wall, now),
            Err(BadVerdict::Replayed)
        );
        let old = signed(&edge, wall - chrono::Duration::seconds(60), TOPIC);
        assert_eq!(
            guard.check(TOPIC, &old, wall, now),
            Err(BadVerdict::Stale(60))
        );
        let other_lane = signed(&edge, wall, "gasq/MUM-0042/lane/2/verdict");
        assert!(matches!(
            guard.check(TOPIC, &other_lane, wall, now),
            Err(BadVerdict::Signature(_))
        ));
        let forger = SigningKey::from_bytes(&[2u8; 32]);
        let forged = signed(&forger, wall, TOPIC);
        assert!(matches!(
            guard.check(TOPIC, &forged, wall, now),
            Err(BadVerdict::Signature(_))
        ));
        let altered = String::from_utf8(signed(&edge, wall, TOPIC))
            .unwrap()
            .replace("\"lane\":1", "\"lane\":2");
        assert!(guard.check(TOPIC, altered.as_bytes(), wall, now).is_err());
        // A bridge that restarted has forgotten what it saw: a verdict from before its
        // start, fresh as it may be, is refused.
        let mut restarted = VerdictGuard {
            started: wall + chrono::Duration::milliseconds(1),
            ..VerdictGuard::new(Some(edge.verifying_key()), Duration::from_secs(30))
        };
        assert_eq!(
            restarted.check(TOPIC, &good, wall, now),
            Err(BadVerdict::BeforeStart)
        );
        let mut keyless = VerdictGuard::new(None, Duration::from_secs(30));
        assert_eq!(
            keyless.check(TOPIC, &good, wall, now),
            Err(BadVerdict::NoKey)
        );
    }
}
