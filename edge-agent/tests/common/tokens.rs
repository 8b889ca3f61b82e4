//! Signed test tokens for a test station, with the key set the edge gets at enrollment.

use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use gasq_shared::keys::{KeyStatus, TokenKey, TokenKeys};
use gasq_shared::sync::{StationConfig, SyncedBooking};
use gasq_shared::token::{TokenClaims, TokenFlags};
use gasq_shared::{BookingId, Quantity, StationCode, StationId};

pub const STATION_ID: u32 = 4242;
pub const KID: u8 = 1;

/// The cloud's (test) token signing key.
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

pub fn token_keys() -> TokenKeys {
    TokenKeys {
        keys: vec![TokenKey::new(
            KID,
            &signing_key().verifying_key(),
            KeyStatus::Active,
            true,
        )],
    }
}

pub fn station(code: &str, lanes: u16) -> StationConfig {
    StationConfig {
        station_id: StationId::new(STATION_ID).unwrap(),
        code: StationCode::parse(code).unwrap(),
        name: "Test Station".into(),
        policy: gasq_shared::policy::StationPolicy::with_lanes(lanes),
    }
}

/// A token and what it is for.
#[derive(Debug, Clone)]
pub struct Tok {
    pub booking: BookingId,
    pub text: String,
    pub claims: TokenClaims,
}

/// A token with a window relative to now, in seconds.
pub fn token_for(station_id: u32, from: i64, until: i64, key: &SigningKey, kid: u8) -> Tok {
    let now = Utc::now().timestamp();
    let claims = TokenClaims {
        kid,
        booking_id: BookingId::new(),
        station_id,
        valid_from: (now + from) as u32,
        valid_until: (now + until) as u32,
        quantity: Quantity::from_centikg(800),
        flags: TokenFlags {
            prepaid: true,
            fleet: false,
        },
        vehicle: "MH12AB1234".into(),
    };
    Tok {
        booking: claims.booking_id,
        text: claims.sign(key).unwrap(),
        claims,
    }
}

/// A good token for the test station, valid from 10 minutes ago for an hour.
pub fn valid() -> Tok {
    token_for(STATION_ID, -600, 3600, &signing_key(), KID)
}

/// The booking as the cloud would sync it, with short code `code`.
pub fn synced(tok: &Tok, code: &str) -> SyncedBooking {
    let at = |s: u32| DateTime::<Utc>::from_timestamp(i64::from(s), 0).unwrap();
    SyncedBooking {
        id: tok.booking,
        code: code.into(),
        vehicle: Some(tok.claims.vehicle.clone()),
        slot_start: at(tok.claims.valid_from),
        slot_end: at(tok.claims.valid_until),
        valid_from: at(tok.claims.valid_from),
        valid_until: at(tok.claims.valid_until),
        quantity_centikg: tok.claims.quantity.centikg(),
        prepaid: tok.claims.flags.prepaid,
    }
}
