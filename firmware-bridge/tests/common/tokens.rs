//! Real, signed v1 tokens for tests (gasq-shared's `TokenClaims::sign`), with a test
//! key that a stand-in edge (or a real one configured with it) trusts.

use ed25519_dalek::SigningKey;
use gasq_shared::token::{KeySet, TokenClaims, TokenFlags};
use gasq_shared::{BookingId, Quantity};

pub const KID: u8 = 7;
pub const STATION_ID: u32 = 42;

pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub fn key_set() -> KeySet {
    let mut keys = KeySet::new();
    keys.insert(KID, signing_key().verifying_key());
    keys
}

/// A token for `booking` at the test station, valid around now.
pub fn token(booking: BookingId, kg: Option<f64>, vehicle: &str) -> String {
    token_at(booking, kg, vehicle, chrono::Utc::now().timestamp() as u32)
}

/// The same token every run for the same `n` (for frames whose decode rate is compared
/// across runs).
pub fn fixed_token(n: u64) -> String {
    let booking = BookingId(uuid::Uuid::from_u128(
        0x0190_f1a2_7c1e_7b4a_9c3d_0000_0000_0000 + u128::from(n),
    ));
    token_at(booking, Some(8.5), "MH12AB1234", 1_767_225_600)
}

fn token_at(booking: BookingId, kg: Option<f64>, vehicle: &str, now: u32) -> String {
    TokenClaims {
        kid: KID,
        booking_id: booking,
        station_id: STATION_ID,
        valid_from: now - 600,
        valid_until: now + 3600,
        quantity: Quantity::from_kg(kg).expect("a valid quantity"),
        flags: TokenFlags::default(),
        vehicle: vehicle.to_owned(),
    }
    .sign(&signing_key())
    .expect("token signs")
}

/// The stand-in edge's station-bus key: it signs the verdicts tests publish.
pub fn edge_bus_key() -> SigningKey {
    SigningKey::from_bytes(&[9u8; 32])
}

/// [`edge_bus_key`]'s public half, as `[mqtt] verdict_key` takes it.
pub const VERDICT_KEY: &str = "_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg";

/// A verdict JSON as the edge publishes it on `topic`: stamped now (`at`), then signed
/// with [`edge_bus_key`]. Anything that is no JSON object is returned as it is.
pub fn signed_verdict(topic: &str, json: &[u8]) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(json) else {
        return json.to_vec();
    };
    if fields.contains_key("at") {
        fields.insert("at".into(), chrono::Utc::now().to_rfc3339().into());
    }
    let stamped = serde_json::to_vec(&fields).unwrap();
    gasq_shared::bussig::sign(
        &edge_bus_key(),
        gasq_shared::bussig::VERDICT,
        topic,
        &stamped,
    )
    .unwrap()
}

/// A credentials file (as `gasq-edge bus-client add` prints) for a bridge on a stand-in
/// edge's bus, in `dir`.
pub fn stand_in_credentials(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("bus-credentials.json");
    let line = serde_json::json!({
        "username": "standin",
        "password": "standin-password",
        "role": "bridge",
        "verdict_key": VERDICT_KEY,
    });
    std::fs::write(&path, line.to_string()).unwrap();
    path
}
