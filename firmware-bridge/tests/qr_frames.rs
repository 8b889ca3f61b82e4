#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! QR decoding of generated camera frames (640×480) with noise, rotation, blur and low
//! contrast: rqrr alone (gasq-shared `frames`) and the camera driver's path (rqrr plus
//! a second look at an enhanced copy). The decode rates are printed; only sane floors
//! are asserted (speed is measured in the benchmark, never here).

mod common;

use common::frames::{Degradation, frame};
use gasq_bridge::drivers::camera::enhance;
use gasq_shared::frames::{Gray, decode_qr};

/// Frames per kind: small, because tests run unoptimised; the benchmark uses 50.
const PER_KIND: u64 = 4;

#[test]
fn tokens_are_read_from_degraded_frames() {
    let (mut total, mut plain, mut camera) = (0, 0, 0);
    for how in Degradation::ALL {
        let (mut plain_ok, mut camera_ok) = (0, 0);
        for seed in 0..PER_KIND {
            let token = common::tokens::fixed_token(seed);
            let img = frame(&token, how, seed);
            let (width, height) = img.dimensions();
            let gray = Gray {
                width,
                height,
                pixels: img.into_raw(),
            };
            let codes = decode_qr(&gray);
            let enhanced = enhance::decode(&gray);
            for c in codes.iter().chain(&enhanced) {
                assert_eq!(*c, token, "a wrong read is worse than none");
            }
            plain_ok += usize::from(!codes.is_empty());
            camera_ok += usize::from(!enhanced.is_empty());
        }
        println!(
            "decode rate {:>12}: rqrr {plain_ok}/{PER_KIND}, camera path {camera_ok}/{PER_KIND}",
            how.name()
        );
        if how == Degradation::Clean {
            assert_eq!(plain_ok, PER_KIND as usize, "every clean frame must decode");
        }
        total += PER_KIND as usize;
        plain += plain_ok;
        camera += camera_ok;
    }
    let rate = |n: usize| n as f64 / total as f64;
    println!("decode rate overall: rqrr {plain}/{total}, camera path {camera}/{total}");
    assert!(
        rate(plain) >= 0.6,
        "rqrr decode rate {:.2} is below the sane floor",
        rate(plain)
    );
    assert!(camera >= plain, "the second look must never lose a code");
}

#[test]
fn an_empty_scene_holds_no_code() {
    let img = common::frames::empty(1);
    let (width, height) = img.dimensions();
    assert!(
        enhance::decode(&Gray {
            width,
            height,
            pixels: img.into_raw()
        })
        .is_empty()
    );
}
