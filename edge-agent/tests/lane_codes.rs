//! Lane codes through the real programs: a driver without a smartphone quotes the
//! 8-digit code of a booking made in the cloud, and the attendant types it at a box
//! that has lost the cloud — accepted once, refused the second time, refused after the
//! booking's QR was used (one redemption record for both), and a guess finds nothing.
//!
//! Needs `gasq-cloud` built next to `gasq-edge` (the workspace test run builds both).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::cloud::{Api, STATION, cloud_binary, enroll_and_run_with_secret, start_cloud};
use common::edge::Edge;
use gasq_shared::topics::{Reason, Verdict};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn type_code(edge: &Edge, secret: &str, code: &str) -> (StatusCode, Value) {
    let res = edge
        .http()
        .post(edge.url("/validate"))
        .bearer_auth(secret)
        .json(&json!({"code": code, "lane": 1}))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn code_of(api: &Api, driver: &str, booking: &str) -> String {
    let b = api
        .call(
            "GET",
            &format!("/api/v1/bookings/{booking}"),
            Some(driver),
            None,
        )
        .await;
    b["code"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lane_code_is_accepted_offline_once_and_never_after_its_qr() {
    let Some(bin) = cloud_binary() else {
        eprintln!("skipped: gasq-cloud is not built next to gasq-edge (run the workspace tests)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut cloud, at) = start_cloud(&bin, dir.path()).await;
    let api = Api::at(at);
    let driver = api.login("driver@demo.gasq.in", "demo-driver-pass").await;
    // Booked before the box is even enrolled: the code needs only the synced booking
    // and the station's lane-code secret.
    let (by_code, _) = api.book(&driver, "MH12LC1001").await;
    let (by_qr, qr) = api.book(&driver, "MH12LC1002").await;
    let (_data, edge, secret) = enroll_and_run_with_secret(&api, &[]).await;
    let code = code_of(&api, &driver, &by_code).await;
    let qr_code = code_of(&api, &driver, &by_qr).await;
    assert_eq!(code.len(), 8, "{code}");
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");

    // The cloud is gone; the lane goes on.
    cloud.kill().await.unwrap();
    edge.wait_status("the edge to notice the cloud is gone", |s| {
        s["online_to_cloud"] == false
    })
    .await;

    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    // As an attendant types it: in two groups.
    let spaced = format!("{} {}", &code[..4], &code[4..]);
    let (status, verdict) = type_code(&edge, &secret, &spaced).await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    let verdict: Verdict = serde_json::from_value(verdict).unwrap();
    assert!(verdict.accepted, "{verdict:?}");
    assert_eq!(
        verdict.booking_id.map(|b| b.to_string()),
        Some(by_code.clone())
    );
    // The lane's display gets it too.
    assert!(scanner.next_verdict().await.1.accepted);

    let (_, again) = type_code(&edge, &secret, &code).await;
    assert_eq!(again["reason"], "already_used", "{again}");

    // The QR first, then its code: one redemption record for both.
    scanner.publish(&lane_topic(STATION, 1, "scan"), qr).await;
    // Skip the verdict the typed code's repeat put on the display.
    let mut seen = scanner.next_verdict().await.1;
    if seen.reason == Reason::AlreadyUsed {
        seen = scanner.next_verdict().await.1;
    }
    assert!(seen.accepted, "{seen:?}");
    let (_, after_qr) = type_code(&edge, &secret, &qr_code).await;
    assert_eq!(after_qr["reason"], "already_used", "{after_qr}");

    // A guess (the code with one digit changed) finds nothing and says what to do.
    let last = code.as_bytes()[7] - b'0';
    let guess = format!("{}{}", &code[..7], (last + 1) % 10);
    let (status, problem) = type_code(&edge, &secret, &guess).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(problem["code"], "unknown_code");
    assert!(
        problem["detail"].as_str().unwrap().contains("QR"),
        "{problem}"
    );
    // A device that keeps guessing is made to wait, longer and longer.
    let mut throttled = None;
    for n in 0..10u8 {
        let guess = format!("{}{}", &code[..6], 10 + (n + last + 2) % 90);
        if guess == code || guess == qr_code {
            continue;
        }
        let (status, body) = type_code(&edge, &secret, &guess).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(body);
            break;
        }
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let throttled = throttled.expect("guessing is throttled");
    assert_eq!(throttled["code"], "too_many_codes", "{throttled}");
}
