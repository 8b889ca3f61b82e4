//! A station's edge boxes over their life: listed for its staff, revoked (by the API
//! and by `gasq-cloud device revoke`), refused on every edge route once revoked, and
//! revoked by themselves when the box re-enrolls in their place.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::MASTER_KEY;
use common::db::TestDb;
use common::device::TestDevice;
use common::world::{World, world, world_on};
use gasq_cloud::domain::Role;
use serde_json::{Value, json};

async fn devices(w: &World) -> Value {
    let (status, list) = w
        .app
        .get(
            &format!("/api/v1/stations/{}/devices", w.station),
            Some(&w.admin.token),
        )
        .await;
    assert_eq!(status, 200, "{list}");
    list
}

/// Both edge routes answer `device` 401 `device_revoked`.
async fn refused_as_revoked(w: &World, device: &TestDevice) {
    let (status, pulled) = w.app.get("/api/v1/edge/changes", Some(&device.jwt())).await;
    assert_eq!(
        (status.as_u16(), &pulled["code"]),
        (401, &json!("device_revoked")),
        "{pulled}"
    );
    let (status, pushed) = device.push(&w.app, json!([])).await;
    assert_eq!(
        (status, &pushed["code"]),
        (401, &json!("device_revoked")),
        "{pushed}"
    );
}

#[tokio::test]
async fn a_revoked_box_is_refused_on_every_edge_route_and_listed_as_revoked() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    device.pull(&w.app, 0).await;
    let list = devices(&w).await;
    assert_eq!(list[0]["id"], device.id.as_str(), "{list}");
    assert_eq!(list[0]["name"], "box-1", "{list}");
    assert!(list[0]["last_pull_at"].is_string(), "{list}");
    assert!(list[0]["revoked_at"].is_null(), "{list}");

    let path = format!("/api/v1/edge/devices/{}/revoke", device.id);
    let (status, revoked) = w.app.post(&path, Some(&w.admin.token), json!({})).await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    refused_as_revoked(&w, &device).await;
    assert_eq!(devices(&w).await[0]["revoked_at"], revoked["revoked_at"]);

    // Revoking again changes nothing; the audit log holds the one revocation.
    let (status, again) = w.app.post(&path, Some(&w.admin.token), json!({})).await;
    assert_eq!(
        (status.as_u16(), &again["revoked_at"]),
        (200, &revoked["revoked_at"])
    );
    let root = w.app.user_with_role(Role::SuperAdmin, "auditor").await;
    let (_, audit) = w.app.get("/api/v1/audit", Some(&root.token)).await;
    let revocations = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "edge.device_revoke")
        .count();
    assert_eq!(revocations, 1, "{audit}");
}

#[tokio::test]
async fn staff_of_another_station_can_neither_list_nor_revoke_a_box() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let stranger = w.app.user_with_role(Role::Technician, "elsewhere").await;
    let (status, _) = w
        .app
        .get(
            &format!("/api/v1/stations/{}/devices", w.station),
            Some(&stranger.token),
        )
        .await;
    assert_eq!(status, 403);
    let path = format!("/api/v1/edge/devices/{}/revoke", device.id);
    let (status, _) = w.app.post(&path, Some(&stranger.token), json!({})).await;
    assert_eq!(status, 403);
    device.pull(&w.app, 0).await;
}

#[tokio::test]
async fn a_box_re_enrolled_in_its_own_place_revokes_its_old_device_only_at_its_station() {
    let w = world().await;
    let old = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let code = TestDevice::code(&w.app, &w.admin, w.station).await;
    let new = TestDevice::enroll_replacing(&w.app, &code, &old.id)
        .await
        .unwrap();
    refused_as_revoked(&w, &old).await;
    new.pull(&w.app, 0).await;

    // A code of another station names a device of this one: nothing is revoked.
    let root = w.app.user_with_role(Role::SuperAdmin, "root2").await;
    let other = w.app.station(&root, "PUN-0007", 1).await["id"]
        .as_u64()
        .unwrap();
    let code = TestDevice::code(&w.app, &root, other).await;
    TestDevice::enroll_replacing(&w.app, &code, &new.id)
        .await
        .unwrap();
    new.pull(&w.app, 0).await;
}

crate::on_both_backends!(databases: gasq_cloud_device_lists_and_revokes_from_the_command_line);

async fn gasq_cloud_device_lists_and_revokes_from_the_command_line(db: TestDb) {
    let w = world_on(db).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let url = w.app.app.settings.effective_database_url();
    let cli = |args: Vec<String>| {
        let url = url.clone();
        async move {
            let dir = tempfile::tempdir().unwrap();
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_gasq-cloud"))
                .current_dir(dir.path())
                .env("GASQ_MASTER_KEY", MASTER_KEY)
                .env("RUST_LOG", "warn")
                .args(["--database-url", &url])
                .args(args)
                .output()
                .await
                .unwrap();
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            (out.status.success(), text(&out.stdout), text(&out.stderr))
        }
    };
    let list = || {
        cli(vec![
            "device".into(),
            "list".into(),
            "--station".into(),
            "MUM-0042".into(),
        ])
    };
    let (ok, out, err) = list().await;
    assert!(
        ok && out.contains(&device.id) && out.contains("active"),
        "{out}{err}"
    );

    let (ok, out, err) = cli(vec!["device".into(), "revoke".into(), device.id.clone()]).await;
    assert!(ok && out.contains("revoked"), "{out}{err}");
    refused_as_revoked(&w, &device).await;
    let (_, out, _) = list().await;
    assert!(out.contains("REVOKED"), "{out}");

    // Mistakes are one line and a failure.
    let (ok, _, err) = cli(vec!["device".into(), "revoke".into(), "not-an-id".into()]).await;
    assert!(
        !ok && err.contains("not a device id") && err.trim().lines().count() == 1,
        "{err}"
    );
    let (ok, _, err) = cli(vec![
        "device".into(),
        "list".into(),
        "--station".into(),
        "NOPE-1".into(),
    ])
    .await;
    assert!(!ok && err.contains("does not exist"), "{err}");
}

#[tokio::test]
async fn a_pull_held_when_its_box_is_revoked_ends_with_the_revocation() {
    let w = world().await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let cursor = device.pull(&w.app, 0).await["cursor"].as_i64().unwrap();
    let held = async {
        let path = format!("/api/v1/edge/changes?since={cursor}&wait=25");
        w.app.get(&path, Some(&device.jwt())).await
    };
    let revoke = async {
        // Arranging, not asserting: the pull is waiting in the cloud by then.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let path = format!("/api/v1/edge/devices/{}/revoke", device.id);
        let (status, _) = w.app.post(&path, Some(&w.admin.token), json!({})).await;
        assert_eq!(status, 200);
    };
    let ((status, answer), ()) = tokio::join!(held, revoke);
    assert_eq!(
        (status.as_u16(), &answer["code"]),
        (401, &json!("device_revoked")),
        "{answer}"
    );
}
