//! The pure part of validation: everything that needs no database, in the contract's
//! order — token structure, key and signature (`gasq_shared::token::verify`) → station
//! → validity window. Revocation and one-time use follow in the database.
//!
//! Clock skew: the window is widened by `tolerance` seconds on both sides, so a box
//! whose clock drifted a little from the cloud's neither refuses a driver who is on time
//! nor lets a token live much longer (default 120 s, `clock_skew_tolerance_secs`).

use chrono::{DateTime, Utc};
use gasq_shared::token::{self, KeySet, TokenClaims};
use gasq_shared::topics::{Reason, Verdict};

/// A refused token, with its claims when the signature checked out (then the booking
/// id and vehicle in the verdict can be trusted; before that they cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Reason,
    pub claims: Option<TokenClaims>,
}

impl Refusal {
    fn bare(reason: Reason) -> Self {
        Self {
            reason,
            claims: None,
        }
    }
}

/// Checks a scanned text up to (not including) revocation and redemption.
pub fn check_token(
    text: &str,
    keys: &KeySet,
    station_id: u32,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<TokenClaims, Refusal> {
    let claims = token::verify(text.trim(), keys).map_err(|e| Refusal::bare(Reason::from(&e)))?;
    let refuse = |reason, claims: TokenClaims| Refusal {
        reason,
        claims: Some(claims),
    };
    if claims.station_id != station_id {
        return Err(refuse(Reason::WrongStation, claims));
    }
    match check_window(
        i64::from(claims.valid_from),
        i64::from(claims.valid_until),
        now_unix,
        tolerance_secs,
    ) {
        Ok(()) => Ok(claims),
        Err(reason) => Err(refuse(reason, claims)),
    }
}

/// `not_yet_valid` / `expired` for a window `[from, until]` widened by `tolerance`.
pub fn check_window(from: i64, until: i64, now: i64, tolerance: i64) -> Result<(), Reason> {
    if now < from.saturating_sub(tolerance) {
        Err(Reason::NotYetValid)
    } else if now > until.saturating_add(tolerance) {
        Err(Reason::Expired)
    } else {
        Ok(())
    }
}

/// Builds the contract verdict.
pub fn verdict(
    scan_id: Option<String>,
    reason: Reason,
    claims: Option<&TokenClaims>,
    lane: Option<u16>,
    at: DateTime<Utc>,
) -> Verdict {
    Verdict {
        scan_id,
        accepted: reason == Reason::Ok,
        reason,
        booking_id: claims.map(|c| c.booking_id),
        vehicle: claims.map(|c| c.vehicle.clone()).filter(|v| !v.is_empty()),
        quantity_kg: claims.and_then(|c| c.quantity.kg()),
        lane,
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use gasq_shared::token::TokenFlags;
    use gasq_shared::{BookingId, Quantity};

    const NOW: i64 = 1_750_000_000;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn keys() -> KeySet {
        let mut set = KeySet::new();
        set.insert(1, key().verifying_key());
        set
    }

    fn claims(station_id: u32, from: i64, until: i64) -> TokenClaims {
        TokenClaims {
            kid: 1,
            booking_id: BookingId::new(),
            station_id,
            valid_from: from as u32,
            valid_until: until as u32,
            quantity: Quantity::from_centikg(850),
            flags: TokenFlags::default(),
            vehicle: "MH12AB1234".into(),
        }
    }

    fn reason_of(text: &str) -> Reason {
        match check_token(text, &keys(), 42, NOW, 120) {
            Ok(_) => Reason::Ok,
            Err(r) => r.reason,
        }
    }

    #[test]
    fn a_good_token_for_this_station_inside_its_window_passes() {
        let t = claims(42, NOW - 60, NOW + 60).sign(&key()).unwrap();
        assert_eq!(reason_of(&t), Reason::Ok);
    }

    #[test]
    fn each_failure_gets_its_contract_reason() {
        let good = claims(42, NOW - 60, NOW + 60);
        let other_key = SigningKey::from_bytes(&[8; 32]);
        let unknown_kid = TokenClaims {
            kid: 9,
            ..good.clone()
        };
        assert_eq!(reason_of("hello"), Reason::Malformed);
        assert_eq!(
            reason_of(&unknown_kid.sign(&key()).unwrap()),
            Reason::UnknownKey
        );
        assert_eq!(
            reason_of(&good.sign(&other_key).unwrap()),
            Reason::BadSignature
        );
        let wrong = claims(43, NOW - 60, NOW + 60).sign(&key()).unwrap();
        assert_eq!(reason_of(&wrong), Reason::WrongStation);
        let early = claims(42, NOW + 600, NOW + 900).sign(&key()).unwrap();
        assert_eq!(reason_of(&early), Reason::NotYetValid);
        let late = claims(42, NOW - 900, NOW - 600).sign(&key()).unwrap();
        assert_eq!(reason_of(&late), Reason::Expired);
    }

    #[test]
    fn the_window_has_the_documented_slack() {
        assert_eq!(check_window(NOW + 120, NOW + 200, NOW, 120), Ok(()));
        assert_eq!(
            check_window(NOW + 121, NOW + 200, NOW, 120),
            Err(Reason::NotYetValid)
        );
        assert_eq!(check_window(NOW - 200, NOW - 120, NOW, 120), Ok(()));
        assert_eq!(
            check_window(NOW - 200, NOW - 121, NOW, 120),
            Err(Reason::Expired)
        );
    }

    #[test]
    fn an_unverified_token_names_no_booking() {
        let forged = claims(42, NOW - 60, NOW + 60)
            .sign(&SigningKey::from_bytes(&[8; 32]))
            .unwrap();
        let refusal = check_token(&forged, &keys(), 42, NOW, 120).unwrap_err();
        assert_eq!(refusal.claims, None);
        let v = verdict(
            None,
            refusal.reason,
            refusal.claims.as_ref(),
            Some(1),
            Utc::now(),
        );
        assert_eq!((v.accepted, v.booking_id), (false, None));
    }

    #[test]
    fn a_verdict_carries_the_tokens_vehicle_and_quantity() {
        let c = claims(42, NOW, NOW);
        let v = verdict(Some("s1".into()), Reason::Ok, Some(&c), Some(2), Utc::now());
        assert!(v.accepted);
        assert_eq!(v.vehicle.as_deref(), Some("MH12AB1234"));
        assert_eq!(v.quantity_kg, Some(8.5));
        assert_eq!(v.lane, Some(2));
    }
}
