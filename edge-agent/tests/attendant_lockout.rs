//! Guessing the attendant secret locks out the guessing address alone (docs/edge.md
//! "The attendant API"), through the real `gasq-edge`: a phone at 127.0.0.2 that keeps
//! guessing gets 429 even for the right secret, while a tablet at 127.0.0.3 — which has
//! never signed in before — signs in at once.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::edge::{self, Edge, SECRET};
use common::fake_cloud::FakeCloud;
use reqwest::StatusCode;

/// A client whose connections come from `ip` (any 127.x address is this machine).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::from(ip)))
        .build()
        .unwrap()
}

async fn queue(edge: &Edge, client: &reqwest::Client, secret: &str) -> StatusCode {
    let response = client
        .get(edge.url("/queue"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    response.status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessing_address_is_locked_out_alone() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, "LCK-0001", 1).await;
    let edge = Edge::start(data.path(), &[]).await;
    let (phone, tablet) = (client_from([127, 0, 0, 2]), client_from([127, 0, 0, 3]));

    let mut refused = Vec::new();
    for i in 0..8 {
        refused.push(queue(&edge, &phone, &format!("guess-{i}")).await);
    }
    assert_eq!(refused[0], StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{refused:?}"
    );
    assert_eq!(
        queue(&edge, &phone, SECRET).await,
        StatusCode::TOO_MANY_REQUESTS
    );

    assert_eq!(queue(&edge, &tablet, SECRET).await, StatusCode::OK);
    // The phone is told how long it must wait, in the header and in words.
    let locked = phone
        .get(edge.url("/queue"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let problem: serde_json::Value = locked.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        retry_after >= 1 && detail.contains(&format!("try again in {retry_after} s")),
        "{retry_after} {detail}"
    );
}
