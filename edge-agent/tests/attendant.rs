//! The attendant HTTP API and the lane queue: credentials, manual validation of tokens
//! and short codes, walk-ins, lanes taken down and up (by the attendant or a dispenser
//! fault), and the retained `queue` topic following every change.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge, SECRET};
use common::fake_cloud::FakeCloud;
use common::tokens;
use gasq_shared::sync::{Change, EdgeEventKind};
use gasq_shared::topics::{QueueSnapshot, Reason, Verdict};
use reqwest::StatusCode;
use serde_json::{Value, json};

const STATION: &str = "ATT-0001";

async fn post(edge: &Edge, path: &str, body: Value, secret: Option<&str>) -> reqwest::Response {
    let mut req = edge.http().post(edge.url(path)).json(&body);
    if let Some(s) = secret {
        req = req.bearer_auth(s);
    }
    req.send().await.unwrap()
}

async fn problem(resp: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(resp.status(), status);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_status_are_open_and_status_has_the_contract_fields() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 3).await;
    let edge = Edge::start(data.path(), &[]).await;
    let status = edge.wait_synced().await;
    for field in [
        "station",
        "online_to_cloud",
        "last_sync_at",
        "outbox_depth",
        "lanes",
    ] {
        assert!(status.get(field).is_some(), "missing {field}: {status:#}");
    }
    assert_eq!(status["station"], STATION);
    assert_eq!(status["lanes"].as_array().unwrap().len(), 3);
    assert!(status["quarantined"].is_u64() && status.get("oldest_unsent_at").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_else_needs_the_attendant_secret() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    let edge = Edge::start(data.path(), &[]).await;
    let no_secret = edge.http().get(edge.url("/queue")).send().await.unwrap();
    let body = problem(no_secret, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["code"], "unauthorized");
    let wrong = post(&edge, "/walkins", json!({}), Some("guess")).await;
    problem(wrong, StatusCode::UNAUTHORIZED).await;
    // The endpoints that change things refuse a well-formed request without the secret,
    // and change nothing.
    let tok = tokens::valid();
    for (path, body) in [
        ("/validate", json!({"code": tok.text, "lane": 1})),
        ("/lanes/1/down", json!({})),
        ("/lanes/1/up", json!({})),
    ] {
        let body = problem(
            post(&edge, path, body, None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(body["code"], "unauthorized", "{path}");
    }
    let status = edge.status().await;
    assert_eq!(status["lanes"][0]["up"], true, "{status:#}");
    let v: Verdict = post(&edge, "/validate", json!({"code": tok.text}), Some(SECRET))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        v.accepted,
        "the refused call did not redeem the token: {v:?}"
    );
    let right = edge
        .http()
        .get(edge.url("/queue"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    // Bad input is a 4xx problem too, never a crash or a 5xx.
    let bad = edge
        .http()
        .post(edge.url("/validate"))
        .bearer_auth(SECRET)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(bad, StatusCode::BAD_REQUEST).await;
    problem(
        post(&edge, "/lanes/9/down", json!({}), Some(SECRET)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        post(&edge, "/nowhere", json!({}), Some(SECRET)).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let wrong_method = edge.http().get(edge.url("/validate")).send().await.unwrap();
    problem(wrong_method, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_code_and_its_token_redeem_the_same_booking_once() {
    let cloud = FakeCloud::start().await;
    let by_code = tokens::valid();
    cloud.push_change(Change::Booking {
        booking: tokens::synced(&by_code, "K7Q2"),
    });
    let data = edge::enroll(&cloud, STATION, 2).await;
    let edge = Edge::start(data.path(), &[]).await;
    edge.wait_synced().await;
    let mut display = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;

    let resp = post(
        &edge,
        "/validate",
        json!({"code": "k7q2", "lane": 2}),
        Some(SECRET),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Verdict = resp.json().await.unwrap();
    assert!(v.accepted, "{v:?}");
    assert_eq!(v.booking_id, Some(by_code.booking));
    let (lane, shown) = display.next_verdict().await;
    assert_eq!(
        (lane, shown.booking_id),
        (2, Some(by_code.booking)),
        "lane 2's display shows it"
    );

    let resp = post(
        &edge,
        "/validate",
        json!({"code": by_code.text}),
        Some(SECRET),
    )
    .await;
    let v: Verdict = resp.json().await.unwrap();
    assert_eq!(
        v.reason,
        Reason::AlreadyUsed,
        "the token of a booking redeemed by code"
    );

    let fresh = tokens::valid();
    let v: Verdict = post(
        &edge,
        "/validate",
        json!({"code": fresh.text}),
        Some(SECRET),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(v.accepted, "a typed token works like a scanned one");

    let unknown = post(&edge, "/validate", json!({"code": "ZZZZ"}), Some(SECRET)).await;
    assert_eq!(
        problem(unknown, StatusCode::NOT_FOUND).await["code"],
        "unknown_code"
    );
}

async fn queue_now(edge: &Edge) -> QueueSnapshot {
    edge.http()
        .get(edge.url("/queue"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Two walk-ins wait; then lane 1's dispenser faults.
async fn two_walkins_and_a_fault(cloud: &FakeCloud) -> (edge::Enrolled, Edge, BusClient) {
    let data = edge::enroll(cloud, STATION, 2).await;
    let edge = Edge::start(data.path(), &[]).await;
    let scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    for vehicle in ["MH01AA1111", "MH01AA2222"] {
        let resp = post(&edge, "/walkins", json!({"vehicle": vehicle}), Some(SECRET)).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let fault = r#"{"event":"fault","detail":"nozzle"}"#;
    scanner
        .publish(&lane_topic(STATION, 1, "dispenser"), fault)
        .await;
    let status = edge
        .wait_status("lane 1 down", |s| s["lanes"][0]["up"] == false)
        .await;
    assert_eq!(status["lanes"][1]["up"], true);
    (data, edge, scanner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_puts_bookings_first_avoids_down_lanes_and_stays_published() {
    let cloud = FakeCloud::start().await;
    let (_data, edge, mut scanner) = two_walkins_and_a_fault(&cloud).await;
    let resp = post(
        &edge,
        "/walkins",
        json!({"vehicle": "not a plate!"}),
        Some(SECRET),
    )
    .await;
    problem(resp, StatusCode::BAD_REQUEST).await;

    scanner
        .publish(&lane_topic(STATION, 1, "scan"), tokens::valid().text)
        .await;
    let (_, v) = scanner.next_verdict().await;
    assert!(v.accepted);
    assert_eq!(
        v.lane,
        Some(2),
        "the verdict names the assigned lane, never a down one"
    );

    let queue = queue_now(&edge).await;
    let kinds: Vec<_> = queue.waiting.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["booking", "walkin", "walkin"]);
    assert!(queue.waiting.iter().all(|e| e.lane == Some(2)));

    // A display connecting now gets the retained queue, current.
    let topic = format!("gasq/{STATION}/queue");
    let mut display = BusClient::connect(edge.mqtt, std::slice::from_ref(&topic), None).await;
    let retained: QueueSnapshot = serde_json::from_slice(&display.next_on(&topic).await).unwrap();
    assert_eq!(retained.waiting.len(), 3);
    assert!(!retained.lanes[0].up);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lane_changes_walkins_and_fills_reach_the_cloud() {
    let cloud = FakeCloud::start().await;
    let (_data, edge, mut scanner) = two_walkins_and_a_fault(&cloud).await;
    let tok = tokens::valid();
    scanner
        .publish(&lane_topic(STATION, 2, "scan"), tok.text.clone())
        .await;
    assert_eq!(scanner.next_verdict().await.1.lane, Some(2));

    // The attendant brings lane 1 back; lane 2's dispenser serves and reports a fill.
    let lane: Value = post(&edge, "/lanes/1/up", json!({}), Some(SECRET))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lane["up"], true);
    let start = json!({"event": "start", "booking_id": tok.booking}).to_string();
    scanner
        .publish(&lane_topic(STATION, 2, "dispenser"), start)
        .await;
    let end = json!({"event": "end", "booking_id": tok.booking, "kg": 7.5, "amount_paise": 67500});
    scanner
        .publish(&lane_topic(STATION, 2, "dispenser"), end.to_string())
        .await;
    let fill_arrived = || {
        cloud
            .events()
            .iter()
            .any(|e| matches!(e.kind, EdgeEventKind::Fill { .. }))
    };
    common::eventually("the fill to reach the cloud", fill_arrived).await;
    let events = cloud.events();
    let has = |f: &dyn Fn(&EdgeEventKind) -> bool| events.iter().any(|e| f(&e.kind));
    assert!(has(&|k| matches!(
        k,
        EdgeEventKind::LaneFault { lane: 1, .. }
    )));
    assert!(has(&|k| matches!(k, EdgeEventKind::LaneOk { lane: 1 })));
    assert!(has(&|k| matches!(
        k,
        EdgeEventKind::Walkin { ticket: 2, .. }
    )));
    assert!(has(
        &|k| matches!(k, EdgeEventKind::Fill { lane: 2, kg, .. } if *kg == 7.5)
    ));
    assert_eq!(
        queue_now(&edge).await.waiting.len(),
        2,
        "the booking left the line"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_detail_with_control_characters_reaches_the_cloud_cleaned() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    let edge = Edge::start(data.path(), &[]).await;
    let dispenser = BusClient::connect(edge.mqtt, &[], None).await;
    let detail = format!("nozzle\u{0}leak\n{}", "x".repeat(500));
    let fault = json!({"event": "fault", "detail": detail}).to_string();
    assert!(
        fault.contains("\\u0000"),
        "the payload carries a NUL: {fault}"
    );
    dispenser
        .publish(&lane_topic(STATION, 1, "dispenser"), fault)
        .await;
    let fault_detail = || {
        cloud.events().into_iter().find_map(|e| match e.kind {
            EdgeEventKind::LaneFault { lane: 1, detail } => Some(detail),
            _ => None,
        })
    };
    common::eventually("the fault to reach the cloud", || fault_detail().is_some()).await;
    let detail = fault_detail().flatten().unwrap();
    assert!(detail.starts_with("nozzle leak x"), "{detail:?}");
    assert!(!detail.chars().any(char::is_control), "{detail:?}");
    assert_eq!(detail.chars().count(), 200, "{detail:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attendant_screen_is_served_and_a_photo_of_a_qr_gets_its_verdict() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 2).await;
    let edge = Edge::start(data.path(), &[]).await;
    let page = edge.http().get(edge.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(html.contains("Station attendant secret") && html.contains("capture=\"environment\""));
    let js = edge
        .http()
        .get(edge.url("/screen.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);

    // A phone's photo of the driver's QR, posted as the screen posts it.
    let tok = tokens::valid();
    let photo = |secret: Option<&str>, body: Vec<u8>| {
        let mut req = edge.http().post(edge.url("/frames?lane=1")).body(body);
        if let Some(s) = secret {
            req = req.bearer_auth(s);
        }
        req.send()
    };
    let refused = photo(None, common::qr::qr_jpeg(&tok.text)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let resp = photo(Some(SECRET), common::qr::qr_jpeg(&tok.text))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Verdict = resp.json().await.unwrap();
    assert!(v.accepted, "{v:?}");
    assert_eq!((v.booking_id, v.lane), (Some(tok.booking), Some(1)));
    // A photo with no QR says how to take a better one.
    let blank = common::qr::qr_jpeg("not a gasq token");
    let none = photo(Some(SECRET), blank).await.unwrap();
    let p = problem(none, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["code"], "no_qr");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("type the booking code")
    );
}
