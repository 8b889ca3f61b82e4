//! Time at ingest: an edge event dated further ahead of the cloud's clock than the
//! device-token leeway is stored at its receive time and flagged, so one box with a
//! wrong clock cannot keep a lane down (a fault dated a year ahead would otherwise beat
//! every later `lane_ok`).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{Duration, Utc};
use common::db::TestDb;
use common::device::TestDevice;
use common::world::world_on;
use gasq_cloud::domain::Role;
use serde_json::{Value, json};
use uuid::Uuid;

fn lane_event(seq: i64, at: chrono::DateTime<Utc>, kind: Value) -> Value {
    let mut e = json!({"id": Uuid::now_v7(), "seq": seq, "at": at});
    e.as_object_mut()
        .unwrap()
        .extend(kind.as_object().unwrap().clone());
    e
}

crate::on_both_backends!(databases: a_fault_dated_a_year_ahead_does_not_outlive_the_next_ok);

async fn a_fault_dated_a_year_ahead_does_not_outlive_the_next_ok(db: TestDb) {
    let w = world_on(db).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let next_year = Utc::now() + Duration::days(365);
    let fault = json!({"kind": "lane_fault", "lane": 1, "detail": "pressure low"});
    let (status, _) = device
        .push(&w.app, json!([lane_event(1, next_year, fault)]))
        .await;
    assert_eq!(status, 200);
    let lane_one = || async {
        let (_, s) = w
            .app
            .get(&format!("/api/v1/stations/{}", w.station), None)
            .await;
        s["lanes_in_service"].as_u64()
    };
    assert_eq!(lane_one().await, Some(1), "the fault counts, now");

    // The box's clock is put right; the lane comes back.
    let ok = json!({"kind": "lane_ok", "lane": 1});
    let (status, _) = device
        .push(&w.app, json!([lane_event(2, Utc::now(), ok)]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(lane_one().await, Some(2), "the later ok wins");

    // And the super admin can see which box dated events ahead.
    let root = w.app.user_with_role(Role::SuperAdmin, "auditor").await;
    let (_, audit) = w.app.get("/api/v1/audit", Some(&root.token)).await;
    let flagged: Vec<_> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "edge.clock_ahead")
        .collect();
    assert_eq!(flagged.len(), 1, "{audit:#}");
    assert_eq!(
        flagged[0]["detail"]["device"],
        device.id.as_str(),
        "{audit:#}"
    );
}
