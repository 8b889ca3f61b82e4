//! The role matrix: every route the server answers (all are in the OpenAPI document,
//! because routes are only registered through it) × every role, against the table in
//! `common/roles.rs`. A new route without a row there fails this test.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::spawn_app;
use common::roles::{Access, Cast, TABLE, access};
use gasq_cloud::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use Role::{StationAdmin, SuperAdmin};

#[tokio::test]
async fn every_route_admits_exactly_the_roles_in_its_row() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let mut sessions: Vec<(Option<Role>, Option<&str>)> = vec![(None, None)];
    sessions.extend(
        cast.sessions
            .iter()
            .map(|(r, s)| (Some(*r), Some(s.token.as_str()))),
    );

    let (_, doc) = app.get("/api/openapi.json", None).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let access = access(method, path);
            let method = method.to_uppercase();
            let url = cast.fill(path);
            for (role, token) in &sessions {
                let m = Method::from_bytes(method.as_bytes()).unwrap();
                let (status, body) = app.call(m, &url, *token, Some(json!({}))).await;
                let allowed = match access {
                    Access::Public => true,
                    Access::AnyUser => role.is_some(),
                    Access::Roles(roles) => role.is_some_and(|r| roles.contains(&r)),
                    Access::Device | Access::Scraper | Access::Twilio => false,
                };
                if allowed {
                    assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{method} {path} as {role:?}: expected access, got {status} {body}"
                    );
                } else {
                    let expected = if matches!(access, Access::Twilio) {
                        StatusCode::FORBIDDEN
                    } else if role.is_none() || matches!(access, Access::Device | Access::Scraper) {
                        StatusCode::UNAUTHORIZED
                    } else {
                        StatusCode::FORBIDDEN
                    };
                    assert_eq!(status, expected, "{method} {path} as {role:?}: {body}");
                }
                assert!(
                    status.as_u16() < 500,
                    "{method} {path} as {role:?}: {status} {body}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked,
        TABLE.len() * 5,
        "every row of the table is a served route"
    );
}

#[tokio::test]
async fn staff_act_only_on_their_own_stations() {
    let app = spawn_app().await;
    let root = app.user_with_role(SuperAdmin, "root").await;
    let mine = app.station(&root, "MUM-0001", 2).await["id"]
        .as_u64()
        .unwrap();
    let other = app.station(&root, "MUM-0002", 2).await["id"]
        .as_u64()
        .unwrap();
    let admin = app.user_with_role(StationAdmin, "admin").await;
    app.post(
        &format!("/api/v1/stations/{mine}/staff"),
        Some(&root.token),
        json!({"user_id": admin.user_id}),
    )
    .await;
    for (id, expected) in [(mine, StatusCode::OK), (other, StatusCode::FORBIDDEN)] {
        let path = format!("/api/v1/stations/{id}");
        let (status, body) = app
            .call(
                Method::PATCH,
                &path,
                Some(&admin.token),
                Some(json!({"lanes": 3})),
            )
            .await;
        assert_eq!(status, expected, "{body}");
    }
}
