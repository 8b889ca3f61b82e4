//! Invariant 6 on the API: whatever arrives, the answer is a 4xx problem+json or a
//! success — never a 5xx, never a panic. Every route in the OpenAPI document gets
//! hostile bodies, path parameters and headers.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::spawn_app;
use gasq_cloud::domain::Role;
use reqwest::Method;

const BODIES: &[&str] = &[
    "",
    "null",
    "[]",
    "{",
    "\"\\ud800\"",
    "{\"station_id\": -1, \"vehicle_id\": \"x\", \"slot_start\": \"yesterday\", \"payment_method\": \"cash\"}",
    "{\"station_id\": 99999999999, \"quantity_kg\": 1e309}",
    "{\"code\": \"MUM/1\", \"name\": \"\", \"lat\": 1000, \"lon\": -1000, \"lanes\": 70000}",
    "{\"lanes\": 0, \"lanes_down\": 9, \"timezone\": \"Mars/Olympus\", \"opens_at\": \"25:99\"}",
    "{\"login\": 12, \"password\": null}",
    "{\"registration\": \"ドライバー\"}",
    "{\"refresh_token\": \"gqr_\\u0000\"}",
];

const PARAMS: &[&str] = &[
    "0",
    "-1",
    "4294967296",
    "abc",
    "00000000-0000-0000-0000-000000000000",
    "%FF",
    "1%2F2",
];

#[tokio::test]
async fn no_input_gets_a_server_error() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    app.station(&root, "MUM-0042", 2).await;
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let mut calls = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for param in PARAMS {
                for body in BODIES {
                    let url = app.url(&path.replace("{id}", param))
                        + "?date=31-02-2026&limit=-5&since=soon";
                    let res = app
                        .http
                        .request(method.clone(), url)
                        .bearer_auth(&root.token)
                        .header("content-type", "application/json")
                        .header("idempotency-key", "ключ")
                        .body(*body)
                        .send()
                        .await
                        .unwrap();
                    let status = res.status();
                    let ctype = res
                        .headers()
                        .get("content-type")
                        .map(|v| v.to_str().unwrap_or("").to_owned());
                    assert!(
                        status.as_u16() < 500,
                        "{method} {path} ({param}, {body:?}) → {status}: {}",
                        res.text().await.unwrap()
                    );
                    if status.is_client_error() {
                        assert_eq!(
                            ctype.as_deref(),
                            Some("application/problem+json"),
                            "{method} {path} → {status}"
                        );
                    }
                    calls += 1;
                }
            }
        }
    }
    assert!(calls > 1000);
}
