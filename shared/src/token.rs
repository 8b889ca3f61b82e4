//! Token v1 — the QR e-token (contract, docs/architecture.md "Token v1"; worked examples
//! in docs/token-v1.md).
//!
//! `GQ1:` + Base45 of: version (1) · kid · booking id (16) · station (u32) · valid from
//! (u32) · valid until (u32) · quantity in 0.01 kg (u16) · flags · n · registration (n)
//! · Ed25519 signature over `GQT1` ‖ all preceding bytes. Integers are big-endian.
//!
//! [`decode`] checks structure only; [`verify`] adds the key lookup and the signature,
//! in the order the conformance vectors demand: malformed → unknown key → bad signature.
//! Window and station checks belong to the verifier at the lane, which knows the clock.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use uuid::Uuid;

use crate::base45;
use crate::ids::{BookingId, Quantity};

/// The ASCII prefix of every v1 QR.
pub const PREFIX: &str = "GQ1:";
/// Domain separation: what is signed is this, then the payload bytes.
pub const SIGNING_DOMAIN: &[u8; 4] = b"GQT1";
pub const VERSION: u8 = 1;
/// The longest vehicle registration a token carries.
pub const MAX_VEHICLE_LEN: usize = 16;
const HEADER_LEN: usize = 34;
const SIGNATURE_LEN: usize = 64;

/// Flag bits (byte 32). Any other bit set makes a token malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenFlags {
    pub prepaid: bool,
    pub fleet: bool,
}

impl TokenFlags {
    const PREPAID: u8 = 0b01;
    const FLEET: u8 = 0b10;

    pub fn bits(self) -> u8 {
        (if self.prepaid { Self::PREPAID } else { 0 }) | (if self.fleet { Self::FLEET } else { 0 })
    }

    fn from_bits(bits: u8) -> Option<Self> {
        if bits & !(Self::PREPAID | Self::FLEET) != 0 {
            return None;
        }
        Some(Self {
            prepaid: bits & Self::PREPAID != 0,
            fleet: bits & Self::FLEET != 0,
        })
    }
}

/// What a token says. The registration is the token's own alphabet (`A-Z0-9`,
/// 0–16 characters, empty when the booking names no vehicle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub kid: u8,
    pub booking_id: BookingId,
    pub station_id: u32,
    pub valid_from: u32,
    pub valid_until: u32,
    pub quantity: Quantity,
    pub flags: TokenFlags,
    pub vehicle: String,
}

/// Why a token failed: each maps to one verdict reason of the station-bus contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("token signed with unknown key id {0}")]
    UnknownKey(u8),
    #[error("token signature does not verify")]
    BadSignature,
}

fn vehicle_ok(vehicle: &str) -> bool {
    vehicle.len() <= MAX_VEHICLE_LEN
        && vehicle
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl TokenClaims {
    /// The bytes that precede the signature (what is signed, after the domain prefix).
    fn payload(&self) -> Result<Vec<u8>, TokenError> {
        if !vehicle_ok(&self.vehicle) {
            return Err(TokenError::Malformed(
                "registration must be 0-16 characters A-Z0-9",
            ));
        }
        let mut out = Vec::with_capacity(HEADER_LEN + self.vehicle.len() + SIGNATURE_LEN);
        out.push(VERSION);
        out.push(self.kid);
        out.extend_from_slice(self.booking_id.0.as_bytes());
        out.extend_from_slice(&self.station_id.to_be_bytes());
        out.extend_from_slice(&self.valid_from.to_be_bytes());
        out.extend_from_slice(&self.valid_until.to_be_bytes());
        out.extend_from_slice(&self.quantity.centikg().to_be_bytes());
        out.push(self.flags.bits());
        // vehicle_ok bounds the length to 16, so it fits a byte.
        out.push(self.vehicle.len() as u8);
        out.extend_from_slice(self.vehicle.as_bytes());
        Ok(out)
    }

    /// Signs the claims and renders the QR text. The key must be the one `kid` names.
    pub fn sign(&self, key: &SigningKey) -> Result<String, TokenError> {
        let mut bytes = self.payload()?;
        let signature = key.sign(&signed_message(&bytes));
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(format!("{PREFIX}{}", base45::encode(&bytes)))
    }
}

fn signed_message(payload: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SIGNING_DOMAIN.len() + payload.len());
    msg.extend_from_slice(SIGNING_DOMAIN);
    msg.extend_from_slice(payload);
    msg
}

/// A structurally valid token whose signature has not been checked yet.
#[derive(Debug, Clone)]
pub struct DecodedToken {
    pub claims: TokenClaims,
    payload: Vec<u8>,
    signature: Signature,
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Parses the QR text: prefix, Base45, version, exact length, flags, registration.
pub fn decode(text: &str) -> Result<DecodedToken, TokenError> {
    let body = text
        .strip_prefix(PREFIX)
        .ok_or(TokenError::Malformed("missing GQ1: prefix"))?;
    let bytes = base45::decode(body).map_err(|_| TokenError::Malformed("not valid Base45"))?;
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return Err(TokenError::Malformed("too short"));
    }
    if bytes[0] != VERSION {
        return Err(TokenError::Malformed("unsupported version"));
    }
    let n = usize::from(bytes[33]);
    if n > MAX_VEHICLE_LEN {
        return Err(TokenError::Malformed("registration longer than 16"));
    }
    if bytes.len() != HEADER_LEN + n + SIGNATURE_LEN {
        return Err(TokenError::Malformed("length does not match"));
    }
    let flags =
        TokenFlags::from_bits(bytes[32]).ok_or(TokenError::Malformed("unknown flag bits"))?;
    let vehicle_bytes = &bytes[HEADER_LEN..HEADER_LEN + n];
    let vehicle = std::str::from_utf8(vehicle_bytes)
        .ok()
        .filter(|v| vehicle_ok(v))
        .ok_or(TokenError::Malformed("registration must be A-Z0-9"))?
        .to_owned();
    let mut booking = [0u8; 16];
    booking.copy_from_slice(&bytes[2..18]);
    let claims = TokenClaims {
        kid: bytes[1],
        booking_id: BookingId(Uuid::from_bytes(booking)),
        station_id: be_u32(&bytes[18..22]),
        valid_from: be_u32(&bytes[22..26]),
        valid_until: be_u32(&bytes[26..30]),
        quantity: Quantity::from_centikg(u16::from_be_bytes([bytes[30], bytes[31]])),
        flags,
        vehicle,
    };
    let split = HEADER_LEN + n;
    let mut sig = [0u8; SIGNATURE_LEN];
    sig.copy_from_slice(&bytes[split..]);
    let mut payload = bytes;
    payload.truncate(split);
    Ok(DecodedToken {
        claims,
        payload,
        signature: Signature::from_bytes(&sig),
    })
}

impl DecodedToken {
    /// Checks the signature against the key set.
    pub fn verify(self, keys: &KeySet) -> Result<TokenClaims, TokenError> {
        let key = keys
            .get(self.claims.kid)
            .ok_or(TokenError::UnknownKey(self.claims.kid))?;
        key.verify_strict(&signed_message(&self.payload), &self.signature)
            .map_err(|_| TokenError::BadSignature)?;
        Ok(self.claims)
    }
}

/// Decodes and verifies in one step.
pub fn verify(text: &str, keys: &KeySet) -> Result<TokenClaims, TokenError> {
    decode(text)?.verify(keys)
}

/// The verification keys a verifier trusts, by kid (active and retired alike).
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<u8, VerifyingKey>,
}

impl KeySet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, kid: u8, key: VerifyingKey) {
        self.keys.insert(kid, key);
    }

    pub fn get(&self, kid: u8) -> Option<&VerifyingKey> {
        self.keys.get(&kid)
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn kids(&self) -> impl Iterator<Item = u8> + '_ {
        self.keys.keys().copied()
    }
}
