//! Invariant 6 (docs/architecture.md) on the API: whatever arrives, the answer is a 4xx problem+json or a
//! success — never a 5xx, never a panic. Every route in the OpenAPI document gets
//! hostile bodies, path parameters, query strings and headers, sent as a caller the
//! route admits (its row in the role table; a valid device JWT for edge routes), so
//! the hostile input gets past authentication into the handler.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::{METRICS_TOKEN, spawn_with};
use common::db::TestDb;
use common::device::TestDevice;
use common::roles::{Access, Cast, access};
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
    "{\"events\": [{\"id\": \"x\", \"seq\": -1, \"at\": 5, \"kind\": \"redeemed\"}]}",
];

/// Hostile path parameters; the cast's real station or booking id is added per route.
const PARAMS: &[&str] = &[
    "0",
    "-1",
    "4294967296",
    "abc",
    "00000000-0000-0000-0000-000000000000",
    "%FF",
    "1%2F2",
];

/// A hostile query string, and none (so routes with query parameters parse the body).
const QUERIES: &[&str] = &["?date=31-02-2026&limit=-5&since=soon", ""];

/// Problem codes that mean the caller was turned away before the handler ran.
const AUTH_REJECTIONS: &[&str] = &[
    "unauthenticated",
    "invalid_token",
    "invalid_device_token",
    "forbidden",
];

#[tokio::test]
async fn no_input_gets_a_server_error() {
    // The auth routes' per-address limit would answer 429 before the handlers.
    let app = spawn_with(TestDb::sqlite(), |s| {
        s.rate_limits.auth_requests_per_ip_per_minute = 1_000_000;
    })
    .await;
    let cast = Cast::new(&app).await;
    let device = TestDevice::enroll(&app, cast.session(Role::StationAdmin), cast.station).await;
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let mut calls = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let token = match access(method, path) {
                // Unsigned, so refused before the body is read (tests/sms.rs signs).
                Access::Public | Access::Twilio => None,
                Access::AnyUser => Some(cast.session(Role::Driver).token.clone()),
                Access::Roles(roles) => Some(cast.session(roles[0]).token.clone()),
                Access::Device => Some(device.jwt()),
                Access::Scraper => Some(METRICS_TOKEN.to_owned()),
            };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let real = cast.fill(path);
            let paths = PARAMS
                .iter()
                .map(|p| path.replace("{id}", p))
                .chain(path.contains("{id}").then_some(real));
            for url in paths {
                for query in QUERIES {
                    for body in BODIES {
                        let mut req = app
                            .http
                            .request(method.clone(), app.url(&url) + query)
                            .header("content-type", "application/json")
                            .header("idempotency-key", "ключ")
                            .body(*body);
                        if let Some(t) = &token {
                            req = req.bearer_auth(t);
                        }
                        if matches!(access(method.as_str(), path), Access::Twilio) {
                            // Signed as Twilio would, so the bad input reaches the handler.
                            let params: Vec<(String, String)> =
                                serde_urlencoded::from_bytes(body.as_bytes()).unwrap_or_default();
                            let token = app.app.crypto.local_provider_secret("twilio auth token");
                            let signed = format!("http://127.0.0.1:8080{url}{query}");
                            let sig = gasq_cloud::messages::twilio_signature::sign(
                                &token, &signed, &params,
                            );
                            req = req.header("x-twilio-signature", sig);
                        }
                        let res = req.send().await.unwrap();
                        let status = res.status();
                        let ctype = res
                            .headers()
                            .get("content-type")
                            .map(|v| v.to_str().unwrap_or("").to_owned());
                        let text = res.text().await.unwrap();
                        let call = format!("{method} {url}{query} ({body:?}) → {status}: {text}");
                        assert!(status.as_u16() < 500, "{call}");
                        if status.is_client_error() {
                            assert_eq!(
                                ctype.as_deref(),
                                Some("application/problem+json"),
                                "{call}"
                            );
                            let code =
                                serde_json::from_str::<serde_json::Value>(&text).unwrap()["code"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned();
                            assert!(
                                !AUTH_REJECTIONS.contains(&code.as_str()),
                                "turned away before the handler: {call}"
                            );
                        }
                        calls += 1;
                    }
                }
            }
        }
    }
    assert!(calls > 5000, "{calls}");
}
