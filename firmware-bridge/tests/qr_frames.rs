#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! QR decoding of generated camera frames (640×480) with noise, rotation, blur and low
//! contrast, through the same decoder the camera driver uses (gasq-shared `frames`).
//! The decode rate per kind is printed; only a sane lower bound is asserted (speed is
//! measured in the benchmark, never here).

mod common;

use common::frames::{Degradation, frame};
use gasq_shared::frames::{Gray, decode_qr};

/// Frames per kind: small, because tests run unoptimised; the benchmark uses more.
const PER_KIND: u64 = 4;

#[test]
fn tokens_are_read_from_degraded_frames() {
    let mut total = 0;
    let mut decoded = 0;
    for how in Degradation::ALL {
        let mut ok = 0;
        for seed in 0..PER_KIND {
            let token = common::tokens::fixed_token(seed);
            let img = frame(&token, how, seed);
            let (width, height) = img.dimensions();
            let codes = decode_qr(&Gray {
                width,
                height,
                pixels: img.into_raw(),
            });
            assert!(
                codes.iter().all(|c| *c == token),
                "a wrong read is worse than none"
            );
            if codes.contains(&token) {
                ok += 1;
            }
        }
        println!("decode rate {:>12}: {ok}/{PER_KIND}", how.name());
        if how == Degradation::Clean {
            assert_eq!(ok, PER_KIND, "every clean frame must decode");
        }
        total += PER_KIND;
        decoded += ok;
    }
    let rate = decoded as f64 / total as f64;
    println!(
        "decode rate overall: {decoded}/{total} ({:.0}%)",
        rate * 100.0
    );
    assert!(rate >= 0.6, "decode rate {rate:.2} is below the sane floor");
}
