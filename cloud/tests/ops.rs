//! Operations endpoints, documentation and the metrics operators scrape.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::{future_slot, spawn_app, spawn_with};
use common::db::TestDb;
use gasq_cloud::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn health_readiness_and_docs_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.1["status"], "ok");
    assert_eq!(app.get("/readyz", None).await.1["status"], "ready");
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/bookings"]["post"].is_object());
    let home = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.headers()["content-type"], "text/html; charset=utf-8");
    assert!(home.headers().contains_key("content-security-policy"));
    assert!(home.text().await.unwrap().contains(" · GasQ</title>"));
    let page = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("swagger")
    );
}

/// Clients switch on `code`: every code the API can answer is listed in the OpenAPI
/// document, and every error response there is a problem+json body carrying one.
#[tokio::test]
async fn the_openapi_document_lists_every_error_code_and_describes_errors_as_problems() {
    let app = spawn_app().await;
    let (_, doc) = app.get("/api/openapi.json", None).await;
    let codes: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for code in [
        "slot_full",
        "validation_failed",
        "invalid_device_token",
        "rate_limited",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let problem = &doc["components"]["schemas"]["Problem"];
    assert_eq!(
        problem["properties"]["code"]["$ref"], "#/components/schemas/ErrorCode",
        "{problem}"
    );
    let slot_full = &doc["paths"]["/api/v1/bookings"]["post"]["responses"]["409"];
    assert_eq!(
        slot_full["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem",
        "{slot_full}"
    );
    let required: Vec<&str> = problem["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert!(
        !required.contains(&"errors") && !required.contains(&"detail"),
        "{problem}"
    );
    // Every reference in the document names a schema it holds.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} points nowhere"
        );
    }
    // A real refusal carries a listed code.
    let (status, problem) = app.get("/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        codes.contains(&problem["code"].as_str().unwrap()),
        "{problem}"
    );
}

fn collect_refs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => out.push(r),
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_bookings_by_status() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let station = app.station(&root, "MUM-0042", 2).await["id"]
        .as_u64()
        .unwrap();
    let driver = app.driver(1).await;
    let vehicle = app.vehicle(&driver, "MH12AB1234").await;
    let body = json!({"station_id": station, "vehicle_id": vehicle, "slot_start": future_slot(3), "payment_method": "at_station"});
    app.post("/api/v1/bookings", Some(&driver.token), body)
        .await;
    let (_, id) = app.get("/api/v1/bookings", Some(&driver.token)).await;
    app.get(
        &format!("/api/v1/bookings/{}", id[0]["id"].as_str().unwrap()),
        Some(&driver.token),
    )
    .await;
    let text = app.scrape().await;
    assert!(
        text.contains(
            r#"gasq_http_requests_total{method="POST",route="/api/v1/bookings",status="201"} 1"#
        ),
        "{text}"
    );
    // Ids never become labels: the route template does.
    assert!(text.contains(r#"route="/api/v1/bookings/{id}""#), "{text}");
    assert!(
        text.contains(r#"gasq_bookings{status="confirmed"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("gasq_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_need_the_scrape_token_and_are_off_without_one() {
    let app = spawn_app().await;
    let driver = app.driver(1).await;
    for (token, status, code) in [
        (None, StatusCode::UNAUTHORIZED, "unauthenticated"),
        (
            Some(driver.token.as_str()),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            Some("test-scrape-token-012345678"),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
    ] {
        let (got, body) = app.get("/metrics", token).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{body}");
    }
    assert!(app.scrape().await.contains("gasq_http_requests_total"));
    // No token configured: nobody scrapes, not even from this machine.
    let open = spawn_with(TestDb::sqlite(), |s| s.metrics.token = None).await;
    let (status, body) = open.get("/metrics", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("metrics.token"),
        "{body}"
    );
}
