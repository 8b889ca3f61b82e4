//! Token v1 verification throughput next to raw Ed25519 verification, same run.
//! `cargo bench -p gasq-shared --bench token`

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer, SigningKey};
use gasq_shared::token::{self, KeySet, TokenClaims, TokenFlags};
use gasq_shared::{BookingId, Quantity};

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let mut keys = KeySet::new();
    keys.insert(1, key.verifying_key());
    let claims = TokenClaims {
        kid: 1,
        booking_id: BookingId::new(),
        station_id: 42,
        valid_from: 1_767_225_600,
        valid_until: 1_767_227_400,
        quantity: Quantity::from_centikg(800),
        flags: TokenFlags {
            prepaid: true,
            fleet: false,
        },
        vehicle: "MH12AB1234".into(),
    };
    let text = claims.sign(&key).expect("sign");
    c.bench_function("token_v1_decode_and_verify", |b| {
        b.iter(|| token::verify(std::hint::black_box(&text), &keys).expect("valid"))
    });
    let msg = [0u8; 100];
    let sig = key.sign(&msg);
    let vk = key.verifying_key();
    c.bench_function("raw_ed25519_verify_strict", |b| {
        b.iter(|| {
            vk.verify_strict(std::hint::black_box(&msg), &sig)
                .expect("valid")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
