//! A station's policy through the HTTP API: what its admin changes shows in the
//! station, its slots and what its edges sync; a misspelt setting is refused by name.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::spawn_app;
use common::device::TestDevice;
use gasq_cloud::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn patch(
    app: &common::app::TestApp,
    token: &str,
    id: u64,
    body: Value,
) -> (StatusCode, Value) {
    app.call(
        Method::PATCH,
        &format!("/api/v1/stations/{id}"),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn hours_and_a_walkin_reserve_reach_the_slots_and_the_edges() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let station = app.station(&root, "MUM-0042", 2).await;
    let id = station["id"].as_u64().unwrap();
    assert_eq!(station["opens_at"], "00:00");
    assert_eq!(station["walkin_reserve_min"], 0);
    let device = TestDevice::enroll(&app, &root, id).await;
    let before = device.pull(&app, 0).await;

    let body = json!({"opens_at": "06:00", "closes_at": "22:00", "walkin_reserve_min": 2});
    let (status, saved) = patch(&app, &root.token, id, body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["opens_at"].as_str(), saved["closes_at"].as_str()),
        (Some("06:00"), Some("22:00"))
    );
    let day_after_tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(2);
    let (_, slots) = app
        .get(
            &format!("/api/v1/stations/{id}/slots?date={day_after_tomorrow}"),
            None,
        )
        .await;
    let slots = slots.as_array().unwrap();
    // 06:00 to 22:00 in 15-minute slots; 2 lanes serve 7 a slot, 2 kept for walk-ins.
    assert_eq!(slots.len(), 64, "{slots:?}");
    assert!(slots.iter().all(|s| s["capacity"] == 5), "{:?}", slots[0]);

    let after = device.pull(&app, before["cursor"].as_i64().unwrap()).await;
    let config = after["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "station")
        .unwrap_or_else(|| panic!("the edge hears of the new policy: {after}"));
    assert_eq!(config["config"]["opens_at"], "06:00");
    assert_eq!(config["config"]["walkin_reserve_min"], 2);
}

#[tokio::test]
async fn a_misspelt_or_impossible_setting_is_refused_by_name_and_changes_nothing() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let id = app.station(&root, "MUM-0042", 2).await["id"]
        .as_u64()
        .unwrap();
    for (body, field) in [
        (json!({"lane": 3}), "lane"),
        (
            json!({"opens_at": "22:00", "closes_at": "06:00"}),
            "closes_at",
        ),
        (json!({"lanes_down": 3}), "lanes_down"),
        (
            json!({"walkin_reserve_max_percent": 101}),
            "walkin_reserve_max_percent",
        ),
    ] {
        let (status, problem) = patch(&app, &root.token, id, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (_, station) = app.get(&format!("/api/v1/stations/{id}"), None).await;
    assert_eq!(station["lanes"], 2);
    assert_eq!(station["closes_at"], "24:00");
}
