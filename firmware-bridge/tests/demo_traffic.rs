#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! The simulator's token source in `scripts/demo`: `gasq-cloud demo-traffic`, called
//! again and again on the same data, books only slots whose e-tokens are valid now, for
//! demo vehicles with no live booking — so every token it hands the lanes is accepted
//! when scanned, however often the demo was run before — and a full fleet is no error.
//! Starting again, `--resume` hands back the tokens of the bookings not scanned yet.
//!
//! Needs `gasq-cloud` built next to `gasq-bridge`; skips with a note when it is not.

mod common;

use std::collections::HashSet;

use common::programs::{RealCloud, sibling};
use gasq_shared::token;

/// The booking ids of `tokens`, each checked to be valid at this moment.
fn valid_now(tokens: &[String]) -> HashSet<String> {
    let now = chrono::Utc::now().timestamp();
    tokens
        .iter()
        .map(|t| {
            let claims = token::decode(t).unwrap().claims;
            let window = i64::from(claims.valid_from)..=i64::from(claims.valid_until);
            assert!(window.contains(&now), "not valid now: {claims:?}");
            claims.booking_id.to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_traffic_called_again_books_tokens_valid_now_until_the_fleet_is_busy() {
    let Some(cloud_bin) = sibling("gasq-cloud") else {
        assert!(
            std::env::var_os("GASQ_REQUIRE_REAL_E2E").is_none(),
            "gasq-cloud is not built next to gasq-bridge"
        );
        eprintln!("skipped: gasq-cloud is not built next to gasq-bridge");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cloud = RealCloud::start(&cloud_bin, dir.path()).await;

    let first = valid_now(&cloud.demo_tokens(24, dir.path()).await);
    assert_eq!(first.len(), 24);
    // Again on the same data: the places taken are not offered again, and what is
    // booked is valid now too (not the next slots, whose tokens are not yet valid).
    let second = valid_now(&cloud.demo_tokens(24, dir.path()).await);
    assert!(!second.is_empty());
    assert!(first.is_disjoint(&second), "new bookings");
    // Each of the 40 demo vehicles holds one live booking at most: with all of them
    // booked, nothing more is booked until some are scanned — and that is no error.
    assert_eq!(first.len() + second.len(), 40);
    assert!(cloud.demo_tokens(24, dir.path()).await.is_empty());

    // A demo starting again on this data gets the tokens of the bookings its last run
    // made and did not scan, rather than waiting for them to lapse.
    let out = dir.path().join("resumed.txt");
    let mut command = std::process::Command::new(&cloud_bin);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GASQ_") {
            command.env_remove(key);
        }
    }
    let resumed = command
        .args(["demo-traffic", "--count", "0", "--resume", "--out"])
        .arg(&out)
        .env("GASQ_DATA_DIR", dir.path().join("cloud"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(resumed.status.success(), "{resumed:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let resumed = valid_now(&text.lines().map(str::to_owned).collect::<Vec<_>>());
    assert_eq!(resumed, &first | &second);
}
