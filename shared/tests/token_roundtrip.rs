//! Property tests: whatever the fields, sign → verify gives them back, and no input
//! makes the decoder panic.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

use ed25519_dalek::SigningKey;
use gasq_shared::token::{self, KeySet, TokenClaims, TokenFlags};
use gasq_shared::{BookingId, Quantity};
use proptest::prelude::*;

fn claims() -> impl Strategy<Value = TokenClaims> {
    (
        any::<u8>(),
        any::<[u8; 16]>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u16>(),
        0u8..4,
        "[A-Z0-9]{0,16}",
    )
        .prop_map(
            |(kid, id, station, from, until, qty, flags, vehicle)| TokenClaims {
                kid,
                booking_id: BookingId(uuid::Uuid::from_bytes(id)),
                station_id: station,
                valid_from: from,
                valid_until: until,
                quantity: Quantity::from_centikg(qty),
                flags: TokenFlags {
                    prepaid: flags & 1 != 0,
                    fleet: flags & 2 != 0,
                },
                vehicle,
            },
        )
}

proptest! {
    #[test]
    fn signed_claims_verify_to_themselves(c in claims(), seed in any::<[u8; 32]>()) {
        let key = SigningKey::from_bytes(&seed);
        let mut keys = KeySet::new();
        keys.insert(c.kid, key.verifying_key());
        let text = c.sign(&key).unwrap();
        prop_assert!(text.starts_with("GQ1:"));
        // Alphanumeric QR mode holds only these characters.
        prop_assert!(text.bytes().all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)));
        prop_assert_eq!(token::verify(&text, &keys).unwrap(), c);
    }

    #[test]
    fn decoding_any_text_never_panics(s in ".{0,200}") {
        let _ = token::decode(&s);
        let _ = token::decode(&format!("GQ1:{s}"));
    }

    #[test]
    fn decoding_any_base45_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = token::decode(&format!("GQ1:{}", gasq_shared::base45::encode(&bytes)));
    }
}
