//! The super admin's pages in the browser: the network at a glance with the stations
//! needing attention first, a station created and moved on the map, a user promoted and
//! assigned, the audit log filtered and its chain verified, and the signing key rotated
//! — and none of it for anybody else.

#![allow(clippy::unwrap_used)] // a test: a panic is a failure

mod common;

use common::browser::Browser;
use common::world::world;
use gasq_cloud::domain::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn the_super_admin_runs_the_network_from_the_browser() {
    let w = world().await;
    // The world's super admin ("root") signs in and lands on the network.
    let mut root = Browser::new(w.app.url(""));
    let signed = root.sign_in("root@example.in", "staff-pass-1").await;
    assert_eq!(
        signed.location.as_deref(),
        Some("/admin"),
        "{}",
        signed.body
    );
    let network = root.get("/admin").await;
    assert_eq!(network.status, StatusCode::OK, "{}", network.body);
    assert!(network.body.contains("MUM-0042") && network.body.contains("Places booked today"));
    assert!(
        network.body.contains("No box"),
        "a station with no box needs attention: {}",
        network.body
    );

    // A new station, then moved on the map and given opening hours.
    let made = root
        .post(
            "/admin/stations",
            &[
                ("code", "PUN-0007"),
                ("name", "Pune Hadapsar"),
                ("lat", "18.50"),
                ("lon", "73.93"),
                ("lanes", "3"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let edit = made.location.unwrap();
    let id = edit.split('/').nth(3).unwrap().to_owned();
    let saved = root
        .post(
            &format!("/admin/stations/{id}/edit"),
            &[
                ("lat", "18.5089"),
                ("lon", "73.9260"),
                ("opens_at", "06:00"),
            ],
        )
        .await;
    assert!(saved.body.contains("Saved"), "{}", saved.body);
    let (_, api) = w.app.get(&format!("/api/v1/stations/{id}"), None).await;
    assert_eq!(
        (api["lat"].as_f64(), api["opens_at"].as_str()),
        (Some(18.5089), Some("06:00")),
        "{api}"
    );
    // Refused in words: a duplicate code, half a position.
    let again = root
        .post(
            "/admin/stations",
            &[
                ("code", "PUN-0007"),
                ("name", "Again"),
                ("lat", "18"),
                ("lon", "73"),
                ("lanes", "1"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let half = root
        .post(&format!("/admin/stations/{id}/edit"), &[("lat", "19")])
        .await;
    assert!(
        half.body.contains("give lat and lon together"),
        "{}",
        half.body
    );

    // A driver who signed up becomes a technician at the new station.
    let tech = w.app.driver(7).await;
    let found = root.get("/admin/users?role=driver&q=Driver%207").await;
    assert!(
        found
            .body
            .contains(&format!("/admin/users/{}/role", tech.user_id)),
        "{}",
        found.body
    );
    let promoted = root
        .post(
            &format!("/admin/users/{}/role", tech.user_id),
            &[("role", "technician")],
        )
        .await;
    assert!(promoted.body.contains("Role changed"), "{}", promoted.body);
    let assigned = root
        .post(
            &format!("/admin/users/{}/stations", tech.user_id),
            &[("station", &id)],
        )
        .await;
    assert!(assigned.body.contains("Assigned."), "{}", assigned.body);
    // Their old session ended with the change: they sign in again as a technician.
    let (status, _) = w
        .app
        .post(
            "/api/v1/auth/refresh",
            None,
            serde_json::json!({"refresh_token": tech.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let id_of = gasq_shared::UserId(tech.user_id.parse::<uuid::Uuid>().unwrap());
    let user = w.app.app.store.user(id_of).await.unwrap().unwrap();
    assert_eq!(user.role, Role::Technician);

    // The audit log: the role change, filtered; the chain verified.
    let log = root.get("/admin/audit?action=user.set_role").await;
    assert!(
        log.body.contains("user.set_role") && log.body.contains("technician"),
        "{}",
        log.body
    );
    let verified = root.post("/admin/audit/verify", &[]).await;
    assert!(
        verified.body.contains("The audit log is intact"),
        "{}",
        verified.body
    );

    // The signing key, rotated: a second key, published before it signs.
    let keys = root.get("/admin/keys").await;
    assert!(keys.body.contains("Signing now"), "{}", keys.body);
    let rotated = root
        .post("/admin/keys/rotate", &[("lead_hours", "24")])
        .await;
    assert!(
        rotated
            .body
            .contains("published; it signs after the lead time"),
        "{}",
        rotated.body
    );
    assert!(
        rotated.body.contains("Published, signs soon"),
        "{}",
        rotated.body
    );

    // Nobody else: a station admin and a driver are refused every page and form.
    for (login, password) in [
        ("admin@example.in", "staff-pass-1"),
        ("driver1@example.in", "driver-pass-1"),
    ] {
        let mut other = Browser::new(w.app.url(""));
        other.sign_in(login, password).await;
        for path in [
            "/admin",
            "/admin/users",
            "/admin/audit",
            "/admin/keys",
            &format!("/admin/stations/{id}/edit"),
        ] {
            assert_eq!(
                other.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{login} {path}"
            );
        }
        let rotate = other
            .post("/admin/keys/rotate", &[("lead_hours", "0")])
            .await;
        assert_eq!(rotate.status, StatusCode::FORBIDDEN, "{login}");
    }
}
