//! Scans over the station bus get the contract's verdicts: one test per reason, scan
//! ids echoed, camera frames read like scans, and garbage answered — never a crash,
//! never a stalled lane.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::fake_cloud::FakeCloud;
use common::qr::{qr_jpeg, qr_pixels};
use common::tokens::{self, STATION_ID};
use gasq_shared::sync::Change;
use gasq_shared::topics::Reason;

const STATION: &str = "VRD-0001";

async fn station() -> (FakeCloud, edge::Enrolled, Edge, BusClient) {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 2).await;
    let edge = Edge::start(data.path(), &[]).await;
    let scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    (cloud, data, edge, scanner)
}

async fn scan(
    scanner: &mut BusClient,
    lane: u16,
    payload: impl Into<Vec<u8>>,
) -> gasq_shared::topics::Verdict {
    scanner
        .publish(&lane_topic(STATION, lane, "scan"), payload)
        .await;
    let (at, verdict) = scanner.next_verdict().await;
    assert_eq!(
        at, lane,
        "the verdict comes back on the scanning lane's topic"
    );
    verdict
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_token_is_accepted_with_its_booking_and_a_lane() {
    let (_cloud, _data, _edge, mut scanner) = station().await;
    let tok = tokens::valid();
    let v = scan(&mut scanner, 1, tok.text.clone()).await;
    assert!(v.accepted, "{v:?}");
    assert_eq!(v.reason, Reason::Ok);
    assert_eq!(v.booking_id, Some(tok.booking));
    assert_eq!(v.vehicle.as_deref(), Some("MH12AB1234"));
    assert_eq!(v.quantity_kg, Some(8.0));
    assert!(matches!(v.lane, Some(1 | 2)), "{v:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_gets_its_contract_reason() {
    let (_cloud, _data, _edge, mut scanner) = station().await;
    let key = tokens::signing_key();
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let cases = [
        ("GQ1:NOT-A-TOKEN".to_owned(), Reason::Malformed),
        (
            tokens::token_for(STATION_ID, -60, 600, &key, 77).text,
            Reason::UnknownKey,
        ),
        (
            tokens::token_for(STATION_ID, -60, 600, &other_key, tokens::KID).text,
            Reason::BadSignature,
        ),
        (
            tokens::token_for(STATION_ID + 1, -60, 600, &key, tokens::KID).text,
            Reason::WrongStation,
        ),
        (
            tokens::token_for(STATION_ID, 3600, 7200, &key, tokens::KID).text,
            Reason::NotYetValid,
        ),
        (
            tokens::token_for(STATION_ID, -7200, -3600, &key, tokens::KID).text,
            Reason::Expired,
        ),
    ];
    for (text, reason) in cases {
        let v = scan(&mut scanner, 2, text).await;
        assert_eq!(v.reason, reason, "{v:?}");
        assert!(!v.accepted);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_scan_of_the_same_token_is_already_used() {
    let (_cloud, _data, _edge, mut scanner) = station().await;
    let tok = tokens::valid();
    assert!(scan(&mut scanner, 1, tok.text.clone()).await.accepted);
    let again = scan(&mut scanner, 2, tok.text.clone()).await;
    assert_eq!(again.reason, Reason::AlreadyUsed);
    assert_eq!(again.booking_id, Some(tok.booking));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_revoked_by_sync_is_refused() {
    let cloud = FakeCloud::start().await;
    let tok = tokens::valid();
    cloud.push_change(Change::Revoked {
        booking_id: tok.booking,
    });
    let data = edge::enroll(&cloud, STATION, 1).await;
    let edge = Edge::start(data.path(), &[]).await;
    edge.wait_synced().await;
    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    let v = scan(&mut scanner, 1, tok.text).await;
    assert_eq!(v.reason, Reason::Revoked);
    assert!(!v.accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_scan_gets_its_id_echoed() {
    let (_cloud, _data, _edge, mut scanner) = station().await;
    let tok = tokens::valid();
    let payload = serde_json::json!({"id": "scan-77", "code": tok.text}).to_string();
    let v = scan(&mut scanner, 1, payload).await;
    assert!(v.accepted);
    assert_eq!(v.scan_id.as_deref(), Some("scan-77"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_scan_that_is_not_a_scan_still_gets_its_id_echoed() {
    let (_cloud, _data, _edge, mut scanner) = station().await;
    let v = scan(&mut scanner, 1, r#"{"id":"s1","code":5}"#).await;
    assert_eq!(v.reason, Reason::Malformed);
    assert_eq!(v.scan_id.as_deref(), Some("s1"), "{v:?}");
}

/// The token as a QR code, `scale` pixels a module, in grey pixels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_frames_in_png_and_raw_grey_are_validated_like_scans() {
    let (_cloud, _data, _edge, mut scanner) = station().await;
    let tok = tokens::valid();
    let (w, h, pixels) = qr_pixels(&tok.text, 4);
    let mut png = Vec::new();
    image::GrayImage::from_raw(w, h, pixels.clone())
        .unwrap()
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    scanner.publish(&lane_topic(STATION, 1, "frame"), png).await;
    let (_, v) = scanner.next_verdict().await;
    assert!(v.accepted, "{v:?}");
    assert_eq!(v.booking_id, Some(tok.booking));

    let raw = gasq_shared::frames::gray_envelope(w, h, &pixels);
    scanner.publish(&lane_topic(STATION, 2, "frame"), raw).await;
    let (_, v) = scanner.next_verdict().await;
    assert_eq!(v.reason, Reason::AlreadyUsed, "same token, second frame");

    scanner
        .publish(
            &lane_topic(STATION, 2, "frame"),
            b"\x89PNG\r\n\x1a\nbroken".to_vec(),
        )
        .await;
    let (_, v) = scanner.next_verdict().await;
    assert_eq!(v.reason, Reason::Malformed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jpeg_camera_frame_is_validated_like_a_scan() {
    let (_cloud, _data, _edge, mut scanner) = station().await;
    let tok = tokens::valid();
    let jpeg = qr_jpeg(&tok.text);
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG file");
    scanner
        .publish(&lane_topic(STATION, 1, "frame"), jpeg)
        .await;
    let (_, v) = scanner.next_verdict().await;
    assert!(v.accepted, "{v:?}");
    assert_eq!(v.booking_id, Some(tok.booking));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_never_crashes_or_stalls_a_lane() {
    let (_cloud, _data, edge, mut scanner) = station().await;
    let garbage: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00, 0x80],             // not UTF-8
        (0..=255u8).cycle().take(3000).collect(), // binary
        vec![b'A'; 64 * 1024],                    // far too long for a scan
        b"{\"id\":1}".to_vec(),                   // JSON without a code
        Vec::new(),                               // empty
    ];
    for payload in garbage {
        let v = scan(&mut scanner, 1, payload).await;
        assert_eq!(v.reason, Reason::Malformed);
        // The lane still answers a real scan at once.
        assert!(scan(&mut scanner, 1, tokens::valid().text).await.accepted);
    }

    // Over the broker's limit: the sender is cut off, the lane is not.
    let flooder = BusClient::connect(edge.mqtt, &[], None).await;
    flooder
        .publish(&lane_topic(STATION, 1, "frame"), vec![0u8; 9 * 1024 * 1024])
        .await;
    assert!(scan(&mut scanner, 1, tokens::valid().text).await.accepted);

    // Garbage on other topics is counted, not fatal (a dispenser message no bridge
    // signed is refused before it is even read).
    scanner
        .publish(&lane_topic(STATION, 1, "dispenser"), b"\xff\xff".to_vec())
        .await;
    scanner
        .publish(&format!("gasq/{STATION}/lane/1/other"), b"x".to_vec())
        .await;
    let status = edge
        .wait_status("garbage counted", |s| {
            s["counters"]["dispenser_refused"].as_u64() >= Some(1)
        })
        .await;
    assert!(status["counters"]["verdicts"]["malformed"].as_u64() >= Some(5));
    assert!(scan(&mut scanner, 2, tokens::valid().text).await.accepted);
}
