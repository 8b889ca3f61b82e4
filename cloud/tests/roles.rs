//! The role matrix: every route the server answers (all are in the OpenAPI document,
//! because routes are only registered through it) × every role, against the table
//! below. A new route without a row here fails this test.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::{Session, future_slot, spawn_app};
use gasq_cloud::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[derive(Debug, Clone, Copy)]
enum Access {
    /// Anyone, no login.
    Public,
    /// Any logged-in user (ownership is checked inside, as 404).
    AnyUser,
    /// Only these roles; others get 403, anonymous 401.
    Roles(&'static [Role]),
    /// Edge devices (device JWT) only: every user, logged in or not, gets 401.
    Device,
}

use Access::{AnyUser, Device, Public, Roles};
use Role::{Driver, StationAdmin, SuperAdmin, Technician};

const TABLE: &[(&str, &str, Access)] = &[
    ("POST", "/api/v1/auth/register", Public),
    ("POST", "/api/v1/auth/login", Public),
    ("POST", "/api/v1/auth/refresh", Public),
    ("POST", "/api/v1/auth/logout", Public),
    ("GET", "/api/v1/me", AnyUser),
    ("POST", "/api/v1/vehicles", Roles(&[Driver])),
    ("GET", "/api/v1/vehicles", Roles(&[Driver])),
    ("GET", "/api/v1/stations", Public),
    ("POST", "/api/v1/stations", Roles(&[SuperAdmin])),
    ("GET", "/api/v1/stations/{id}", Public),
    (
        "PATCH",
        "/api/v1/stations/{id}",
        Roles(&[StationAdmin, SuperAdmin]),
    ),
    ("POST", "/api/v1/stations/{id}/staff", Roles(&[SuperAdmin])),
    ("GET", "/api/v1/stations/{id}/slots", Public),
    ("POST", "/api/v1/bookings", Roles(&[Driver])),
    ("GET", "/api/v1/bookings", AnyUser),
    ("GET", "/api/v1/bookings/{id}", AnyUser),
    ("POST", "/api/v1/bookings/{id}/cancel", AnyUser),
    ("GET", "/api/v1/bookings/{id}/token", AnyUser),
    ("GET", "/api/v1/bookings/{id}/qr.svg", AnyUser),
    ("GET", "/api/v1/bookings/{id}/qr.png", AnyUser),
    ("GET", "/api/v1/token-keys", Public),
    ("GET", "/api/v1/audit", Roles(&[SuperAdmin])),
    (
        "POST",
        "/api/v1/stations/{id}/enrollment-codes",
        Roles(&[StationAdmin, Technician, SuperAdmin]),
    ),
    (
        "GET",
        "/api/v1/stations/{id}/dashboard",
        Roles(&[StationAdmin, Technician, SuperAdmin]),
    ),
    ("POST", "/api/v1/edge/enroll", Public),
    ("GET", "/api/v1/edge/changes", Device),
    ("POST", "/api/v1/edge/events", Device),
    ("GET", "/healthz", Public),
    ("GET", "/readyz", Public),
    ("GET", "/metrics", Public),
];

#[tokio::test]
async fn every_route_admits_exactly_the_roles_in_its_row() {
    let app = spawn_app().await;
    let root = app.user_with_role(SuperAdmin, "root").await;
    let station = app.station(&root, "MUM-0042", 2).await["id"]
        .as_u64()
        .unwrap();
    let mut sessions: Vec<(Option<Role>, Option<Session>)> = vec![(None, None)];
    for role in Role::ALL {
        let s = if role == SuperAdmin {
            root.clone()
        } else {
            app.user_with_role(role, role.as_str()).await
        };
        if matches!(role, StationAdmin | Technician) {
            let body = json!({"user_id": s.user_id});
            let (status, _) = app
                .post(
                    &format!("/api/v1/stations/{station}/staff"),
                    Some(&root.token),
                    body,
                )
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT);
        }
        sessions.push((Some(role), Some(s)));
    }
    let driver = sessions
        .iter()
        .find(|(r, _)| *r == Some(Driver))
        .unwrap()
        .1
        .clone()
        .unwrap();
    let vehicle = app.vehicle(&driver, "KA01AB1234").await;
    let body = json!({"station_id": station, "vehicle_id": vehicle, "slot_start": future_slot(3), "payment_method": "at_station"});
    let booking = app
        .post("/api/v1/bookings", Some(&driver.token), body)
        .await
        .1["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (_, doc) = app.get("/api/openapi.json", None).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let Some((_, _, access)) = TABLE.iter().find(|(m, p, _)| *m == method && p == path)
            else {
                panic!("{method} {path} is served but has no row in the role table: add one");
            };
            let url = path.replace(
                "{id}",
                &if path.starts_with("/api/v1/bookings") {
                    booking.clone()
                } else {
                    station.to_string()
                },
            );
            for (role, session) in &sessions {
                let m = Method::from_bytes(method.as_bytes()).unwrap();
                let (status, body) = app
                    .call(
                        m,
                        &url,
                        session.as_ref().map(|s| s.token.as_str()),
                        Some(json!({})),
                    )
                    .await;
                let allowed = match access {
                    Public => true,
                    AnyUser => role.is_some(),
                    Roles(roles) => role.is_some_and(|r| roles.contains(&r)),
                    Device => false,
                };
                if allowed {
                    assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{method} {path} as {role:?}: expected access, got {status} {body}"
                    );
                } else {
                    let expected = if role.is_none() || matches!(access, Device) {
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
