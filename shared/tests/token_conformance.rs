//! Token v1 conformance: every vector in `vectors/token-v1.json` (made with an
//! independent implementation) and the examples in `docs/token-v1.md`.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use gasq_shared::token::{self, KeySet, TokenClaims, TokenFlags};
use gasq_shared::topics::Reason;
use gasq_shared::{BookingId, Quantity};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    keys: Vec<Key>,
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Key {
    kid: u8,
    seed_hex: String,
    public_key: String,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    token: String,
    expect: String,
    fields: Option<Fields>,
}

#[derive(Deserialize)]
struct Fields {
    version: u8,
    kid: u8,
    booking_id: String,
    station_id: u32,
    valid_from: u32,
    valid_until: u32,
    quantity_centikg: u16,
    flags: u8,
    vehicle: String,
}

impl Fields {
    fn claims(&self) -> TokenClaims {
        TokenClaims {
            kid: self.kid,
            booking_id: self.booking_id.parse::<BookingId>().unwrap(),
            station_id: self.station_id,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            quantity: Quantity::from_centikg(self.quantity_centikg),
            flags: TokenFlags {
                prepaid: self.flags & 1 != 0,
                fleet: self.flags & 2 != 0,
            },
            vehicle: self.vehicle.clone(),
        }
    }
}

fn signing_keys(keys: &[Key]) -> Vec<(u8, SigningKey)> {
    keys.iter()
        .map(|k| {
            let seed: [u8; 32] = hex::decode(&k.seed_hex).unwrap().try_into().unwrap();
            let sk = SigningKey::from_bytes(&seed);
            assert_eq!(
                URL_SAFE_NO_PAD.encode(sk.verifying_key().as_bytes()),
                k.public_key,
                "public key of kid {} does not match its seed",
                k.kid
            );
            (k.kid, sk)
        })
        .collect()
}

fn check(vectors: Vectors, source: &str) -> usize {
    let signers = signing_keys(&vectors.keys);
    let mut key_set = KeySet::new();
    for (kid, sk) in &signers {
        key_set.insert(*kid, sk.verifying_key());
    }
    for v in &vectors.vectors {
        let got = token::verify(&v.token, &key_set);
        match v.expect.as_str() {
            "valid" => {
                let claims = got.unwrap_or_else(|e| panic!("{source} {}: {e}", v.name));
                let fields = v.fields.as_ref().expect("valid vectors carry fields");
                assert_eq!(fields.version, 1);
                assert_eq!(claims, fields.claims(), "{source} {}", v.name);
                let (_, sk) = signers.iter().find(|(kid, _)| *kid == fields.kid).unwrap();
                let resigned = fields.claims().sign(sk).unwrap();
                assert_eq!(resigned, v.token, "{source} {}: re-signing differs", v.name);
            }
            reason => {
                let err = got
                    .err()
                    .unwrap_or_else(|| panic!("{source} {} verified", v.name));
                assert_eq!(
                    Reason::from(&err).as_str(),
                    reason,
                    "{source} {}: {err}",
                    v.name
                );
            }
        }
    }
    vectors.vectors.len()
}

#[test]
fn every_conformance_vector_gets_its_verdict() {
    let vectors: Vectors =
        serde_json::from_str(include_str!("vectors/token-v1.json")).expect("vectors parse");
    assert!(check(vectors, "token-v1.json") >= 18);
}

/// The examples in the token documentation are checked too, so the doc cannot drift.
#[test]
fn the_documented_examples_verify_as_documented() {
    let doc = include_str!("../../docs/token-v1.md");
    let start = doc
        .find("```json vectors")
        .expect("docs/token-v1.md has a ```json vectors block");
    let body = &doc[start + "```json vectors".len()..];
    let end = body.find("```").expect("the block is closed");
    let vectors: Vectors = serde_json::from_str(&body[..end]).expect("the documented block parses");
    let expects: Vec<&str> = vectors.vectors.iter().map(|v| v.expect.as_str()).collect();
    for needed in ["valid", "bad_signature", "unknown_key"] {
        assert!(
            expects.contains(&needed),
            "docs/token-v1.md lacks a {needed} example"
        );
    }
    check(vectors, "docs/token-v1.md");
}
