//! The demand forecast against what the training pipeline recorded (`models/`): tract
//! loads the committed model and reproduces its outputs, the features built in Rust are
//! the pipeline's, and the backtest replays the committed history to the pipeline's
//! scores.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

use std::path::PathBuf;

use chrono::NaiveDateTime;
use gasq_cloud::forecast::backtest;
use gasq_cloud::forecast::{DemandModel, HourInput};
use serde_json::Value;

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(models().join(name)).unwrap()).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

#[test]
fn tract_runs_the_committed_model_on_the_pipelines_features_to_its_outputs() {
    let model = DemandModel::load(None).unwrap();
    let file = expected("demand.expected.json");
    let rows = file["rows"].as_array().unwrap();
    assert!(rows.len() >= 10);
    let mut inputs = Vec::new();
    for row in rows {
        let raw = &row["raw"];
        let input = HourInput {
            local: NaiveDateTime::parse_from_str(
                raw["timestamp"].as_str().unwrap(),
                "%Y-%m-%dT%H:%M:%S",
            )
            .unwrap(),
            temp_c: raw["temp_c"].as_f64().unwrap(),
            humidity: raw["humidity"].as_f64().unwrap(),
            rain_mm: raw["rain_mm"].as_f64().unwrap(),
            holiday: raw["holiday"].as_i64().unwrap() != 0,
        };
        let features = input.features();
        let want: Vec<f32> = row["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(features.to_vec(), want, "features of {raw}");
        inputs.push(features);
    }
    let shapes = model.shapes(&inputs).unwrap();
    for (row, got) in rows.iter().zip(shapes) {
        let want = row["shape"].as_f64().unwrap();
        assert!(
            close(f64::from(got), want, 1e-4),
            "{got} vs {want} for {}",
            row["raw"]
        );
    }
}

#[test]
fn the_backtest_replays_the_committed_history_to_the_pipelines_scores() {
    let model = DemandModel::load(None).unwrap();
    let text = std::fs::read_to_string(models().join("bikeshare-2011.csv")).unwrap();
    let rows = backtest::parse_history(&text).unwrap();
    let report = backtest::run(&model, &rows).unwrap();
    let want = expected("backtest.expected.json");
    assert_eq!(report.hours as u64, want["hours"].as_u64().unwrap());
    let tol = want["tolerance_relative"].as_f64().unwrap();
    for (got, path) in [
        (report.model.mae, ["model", "mae"]),
        (report.model.rmse, ["model", "rmse"]),
        (report.seasonal_naive.mae, ["seasonal_naive", "mae"]),
        (report.seasonal_naive.rmse, ["seasonal_naive", "rmse"]),
    ] {
        let w = want[path[0]][path[1]].as_f64().unwrap();
        assert!(close(got, w, tol), "{path:?}: {got} vs {w}");
    }
    assert!(report.mae_ratio() < 0.8, "{}", report.lines());
    for (week, level) in want["levels"].as_object().unwrap() {
        let got = report.levels[&week.parse::<i64>().unwrap()];
        assert!(
            close(got, level.as_f64().unwrap(), tol),
            "week {week}: {got} vs {level}"
        );
    }
}

#[test]
fn a_history_with_a_bad_line_is_refused_with_its_line_number() {
    let err = backtest::parse_history(
        "timestamp,arrivals\n2024-03-01T08:00:00,4\n2024-03-01T09:00:00,lots\n",
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "line 3: arrivals \"lots\" is not a number");
    let err = backtest::parse_history("time,count\n").unwrap_err();
    assert!(
        err.to_string().contains("`timestamp` and `arrivals`"),
        "{err}"
    );
}

#[test]
fn a_configured_model_that_does_not_load_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.onnx");
    std::fs::write(&path, b"not an onnx file").unwrap();
    let err = DemandModel::load(Some(&path)).unwrap_err().to_string();
    assert!(
        err.contains("broken.onnx") && err.contains("does not load"),
        "{err}"
    );
    let missing = DemandModel::load(Some(&dir.path().join("absent.onnx")))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("cannot read"), "{missing}");
}

mod common;

use chrono::{Datelike, Duration, Utc};
use common::app::spawn_app;
use common::device::TestDevice;
use gasq_cloud::domain::Role;
use serde_json::json;

/// The next Wednesday in India: a working day, whatever day the test runs.
fn next_wednesday() -> chrono::NaiveDate {
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .date_naive();
    let ahead = (7 + 2 - i64::from(today.weekday().num_days_from_monday())) % 7;
    today + Duration::days(if ahead == 0 { 7 } else { ahead })
}

#[tokio::test]
async fn a_new_station_is_forecast_from_the_prior_and_its_slots_keep_room_for_walkins_at_the_rush()
{
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let id = app.station(&root, "FOR-0001", 2).await["id"]
        .as_u64()
        .unwrap();
    // The helper's stations keep no walk-in room; this one keeps up to half a slot.
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{id}"),
            Some(&root.token),
            Some(json!({"walkin_reserve_max_percent": 50})),
        )
        .await;
    assert_eq!(status, 200);
    let date = next_wednesday();
    let (status, f) = app
        .get(&format!("/api/v1/stations/{id}/forecast?date={date}"), None)
        .await;
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["source"], "prior", "{f}");
    // 35 % of 2 lanes × 60 / 4 minutes.
    assert!((f["level"].as_f64().unwrap() - 10.5).abs() < 1e-9, "{f}");
    let hours = f["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    let rush = |h: usize| hours[h]["rush_level"].as_str().unwrap().to_owned();
    assert_eq!(rush(3), "low", "3 am is calm: {}", hours[3]);
    assert!(
        hours.iter().any(|h| h["rush_level"] == "high"),
        "a working day has a rush: {hours:?}"
    );
    let kg: f64 = hours
        .iter()
        .map(|h| h["expected_kg"].as_f64().unwrap())
        .sum();
    assert!((kg - f["total_kg"].as_f64().unwrap()).abs() < 0.05, "{f}");
    assert!(
        (hours[8]["expected_kg"].as_f64().unwrap()
            - 7.0 * hours[8]["expected_arrivals"].as_f64().unwrap())
        .abs()
            < 0.05
    );

    // The slots carry the rush and keep room for walk-ins where the forecast expects
    // them — and only there.
    let slots = slots_on(&app, id, date).await;
    let slots = slots.as_array().unwrap();
    let at_three = &slots[12]; // 03:00
    assert_eq!(at_three["rush_level"], "low");
    assert_eq!(
        at_three["capacity"], 7,
        "a calm hour keeps every place bookable"
    );
    let rushed = slots
        .iter()
        .find(|s| s["rush_level"] == "high")
        .expect("a rush slot");
    let cap = rushed["capacity"].as_u64().unwrap();
    assert!(
        (4..7).contains(&cap),
        "at most half of 7 kept for walk-ins: {rushed}"
    );
    // The booking API sizes the slot the same way: 7 − reserve places, then full.
    let mut won = 0;
    for n in 0..7 {
        let d = app.driver(n).await;
        let v = app.vehicle(&d, &format!("MH12FC{n:04}")).await;
        let (status, _) = app
            .post(
                "/api/v1/bookings",
                Some(&d.token),
                json!({"station_id": id, "vehicle_id": v, "slot_start": rushed["start"], "payment_method": "at_station"}),
            )
            .await;
        won += u64::from(status == 201);
    }
    assert_eq!(won, cap);
}

#[tokio::test]
async fn a_station_with_its_own_history_is_forecast_from_it() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let id = app.station(&root, "FOR-0002", 2).await["id"]
        .as_u64()
        .unwrap();
    let device = TestDevice::enroll(&app, &root, id).await;
    // Ten days of one walk-in an hour, reported by the station's box.
    let start = Utc::now() - Duration::days(10);
    let events: Vec<_> = (0..240)
        .map(|h| {
            json!({"id": uuid::Uuid::now_v7(), "seq": h + 1, "at": start + Duration::hours(h),
                "kind": "walkin", "ticket": h + 1, "vehicle": null})
        })
        .collect();
    let (status, body) = device.push(&app, json!(events)).await;
    assert_eq!(status, 200, "{body}");
    let (_, f) = app
        .get(&format!("/api/v1/stations/{id}/forecast"), None)
        .await;
    assert_eq!(f["source"], "history", "{f}");
    assert_eq!(f["walkin_share"], 1.0);
    // One arrival an hour, spread over shapes averaging about 1.
    let level = f["level"].as_f64().unwrap();
    assert!((0.3..3.0).contains(&level), "{f}");

    // Beside the forecast, what happened: one arrival in each hour that has passed (the
    // last an hour ago), none yet in this one; lane 2 went down 90 minutes ago, so the
    // hours since then were served by one lane.
    let down_at = Utc::now() - Duration::minutes(90);
    let fault = json!([{"id": uuid::Uuid::now_v7(), "seq": 241, "at": down_at,
        "kind": "lane_fault", "lane": 2, "detail": "nozzle leak"}]);
    let (status, body) = device.push(&app, fault).await;
    assert_eq!(status, 200, "{body}");
    let (_, f) = app
        .get(&format!("/api/v1/stations/{id}/forecast"), None)
        .await;
    let now = Utc::now();
    for h in f["hours"].as_array().unwrap() {
        let start: chrono::DateTime<Utc> = serde_json::from_value(h["start"].clone()).unwrap();
        let end = start + Duration::hours(1);
        if start > now {
            assert!(h["actual_arrivals"].is_null(), "{h}");
            assert!(h["actual_lanes_in_service"].is_null(), "{h}");
            continue;
        }
        let arrivals = if end <= now { 1 } else { 0 };
        assert_eq!(h["actual_arrivals"], arrivals, "{h}");
        let lanes = if end <= down_at { 2 } else { 1 };
        assert_eq!(h["actual_lanes_in_service"], lanes, "{h}");
    }
}

#[tokio::test]
async fn a_station_sets_how_much_of_the_expected_walkins_to_keep_room_for() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let id = forecasting_station(&app, &root, "SHR-0001").await;
    let date = next_wednesday();
    let kept = |slots: &Value| 7 - first_rush(slots)["capacity"].as_u64().unwrap();
    let all = kept(&slots_on(&app, id, date).await);
    assert!(all > 0);
    let set = |percent: u32| {
        let (app, token) = (&app, root.token.clone());
        async move {
            app.call(
                reqwest::Method::PATCH,
                &format!("/api/v1/stations/{id}"),
                Some(&token),
                Some(json!({"walkin_reserve_share_percent": percent})),
            )
            .await
        }
    };
    let (status, body) = set(0).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["walkin_reserve_share_percent"], 0);
    assert_eq!(kept(&slots_on(&app, id, date).await), 0, "no room kept");
    let (status, _) = set(50).await;
    assert_eq!(status, 200);
    let half = kept(&slots_on(&app, id, date).await);
    assert!(
        half < all,
        "half the share keeps less room: {half} vs {all}"
    );
    let (status, body) = set(500).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["detail"].to_string().contains("0 to 200"), "{body}");

    // A fixed reserve of the whole slot still leaves the floor of bookable places.
    let patch = |body: Value| app.patch_station(&root, id, body);
    patch(json!({"walkin_reserve_min": 7, "walkin_reserve_max_percent": 100})).await;
    let capacity = |slots: &Value| slots[12]["capacity"].as_u64().unwrap();
    assert_eq!(
        capacity(&slots_on(&app, id, date).await),
        1,
        "the default floor"
    );
    patch(json!({"min_bookable_places": 3})).await;
    assert_eq!(capacity(&slots_on(&app, id, date).await), 3);
    patch(json!({"min_bookable_places": 0})).await;
    assert_eq!(
        capacity(&slots_on(&app, id, date).await),
        0,
        "walk-ins only"
    );
}

#[test]
fn the_backtest_command_prints_both_scores_and_refuses_a_bad_file_in_one_line() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_gasq-cloud"));
    let out = std::process::Command::new(&bin)
        .args(["forecast", "backtest", "--history"])
        .arg(models().join("bikeshare-2011.csv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("model") && lines[0].contains("MAE 26.029"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("seasonal-naive") && lines[1].contains("MAE 42.812"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("ratio") && lines[2].contains("0.608"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "timestamp,arrivals\n2024-01-01T00:00:00,-3\n").unwrap();
    let out = std::process::Command::new(&bin)
        .args(["forecast", "backtest", "--history"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let last = err.lines().last().unwrap();
    assert!(
        last.contains("line 2: arrivals must be a count of 0 or more"),
        "{err}"
    );
}

/// A station of 2 lanes that keeps up to half a slot for walk-ins, as stations do by
/// default; returns its id.
async fn forecasting_station(
    app: &common::app::TestApp,
    root: &common::app::Session,
    code: &str,
) -> u64 {
    let id = app.station(root, code, 2).await["id"].as_u64().unwrap();
    let (status, body) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{id}"),
            Some(&root.token),
            Some(json!({"walkin_reserve_max_percent": 50})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    id
}

#[tokio::test]
async fn a_full_slot_answers_with_calmer_slots_and_a_station_nearby() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let here = forecasting_station(&app, &root, "SUG-0001").await;
    let nearby = forecasting_station(&app, &root, "SUG-0002").await;
    let date = next_wednesday();
    let slots = slots_on(&app, here, date).await;
    let wanted = first_rush(&slots);
    let places = wanted["capacity"].as_u64().unwrap();
    for n in 0..=places {
        let d = app.driver(u32::try_from(n).unwrap()).await;
        let v = app.vehicle(&d, &format!("MH12SG{n:04}")).await;
        let (status, body) = app
            .post(
                "/api/v1/bookings",
                Some(&d.token),
                json!({"station_id": here, "vehicle_id": v, "slot_start": wanted["start"], "payment_method": "at_station"}),
            )
            .await;
        if n < places {
            assert_eq!(status, 201, "{body}");
            continue;
        }
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], "slot_full");
        let calmer = body["suggestions"]["slots"].as_array().unwrap();
        assert!(!calmer.is_empty(), "{body}");
        assert!(
            calmer
                .iter()
                .all(|s| s["rush_level"] != "high" && s["available"].as_u64() > Some(0)),
            "{body}"
        );
        let stations = body["suggestions"]["stations"].as_array().unwrap();
        assert_eq!(stations.len(), 1, "{body}");
        assert_eq!(stations[0]["station_id"], nearby);
        assert_eq!(stations[0]["code"], "SUG-0002");
    }
}

#[tokio::test]
async fn calm_slots_are_cheaper_and_the_booking_keeps_that_price() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let id = forecasting_station(&app, &root, "CLM-0001").await;
    let (status, body) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{id}"),
            Some(&root.token),
            Some(json!({"calm_discount_paise_per_kg": 500, "wait_target_minutes": 3})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["calm_discount_paise_per_kg"], 500);
    assert_eq!(body["wait_target_minutes"], 3);
    let date = next_wednesday();
    let slots = slots_on(&app, id, date).await;
    let slots = slots.as_array().unwrap();
    let night = &slots[12]; // 03:00, calm
    assert_eq!(night["rush_level"], "low");
    assert_eq!(night["price_paise_per_kg"], 7_100, "₹76 less ₹5 a kg");
    let rush = slots.iter().find(|s| s["rush_level"] == "high").unwrap();
    assert_eq!(rush["price_paise_per_kg"], 7_600);
    let d = app.driver(1).await;
    let v = app.vehicle(&d, "MH12CL0001").await;
    let (status, b) = app
        .post(
            "/api/v1/bookings",
            Some(&d.token),
            json!({"station_id": id, "vehicle_id": v, "slot_start": night["start"], "payment_method": "at_station"}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["price_paise_per_kg"], 7_100);

    // The lane plan: the rush needs more lanes than the night, never more than exist.
    let (_, f) = app
        .get(&format!("/api/v1/stations/{id}/forecast?date={date}"), None)
        .await;
    let hours = f["hours"].as_array().unwrap();
    let lanes = |h: &Value| h["lanes_needed"].as_u64().unwrap();
    assert_eq!(lanes(&hours[3]), 1, "{}", hours[3]);
    let peak = hours
        .iter()
        .max_by(|a, b| {
            a["expected_arrivals"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["expected_arrivals"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(lanes(peak), 2, "{peak}");
    assert_eq!(f["wait_target_minutes"], 3);
    let (status, bad) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{id}"),
            Some(&root.token),
            Some(json!({"calm_discount_paise_per_kg": 99_999})),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad.to_string().contains("calm_discount_paise_per_kg"),
        "{bad}"
    );
}

#[tokio::test]
async fn a_booked_rush_slot_keeps_its_walkin_room_through_station_changes_and_lane_faults() {
    let app = spawn_app().await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let id = forecasting_station(&app, &root, "KEP-0001").await;
    let date = next_wednesday();
    let slot_of = |slots: &Value, start: &Value| {
        slots
            .as_array()
            .unwrap()
            .iter()
            .find(|s| &s["start"] == start)
            .unwrap()
            .clone()
    };
    let slots = slots_on(&app, id, date).await;
    let rush = first_rush(&slots);
    let sized = rush["capacity"].as_u64().unwrap();
    assert!(sized < 7, "{rush}");
    let d = app.driver(1).await;
    let v = app.vehicle(&d, "MH12KP0001").await;
    let (status, booked) = app
        .post(
            "/api/v1/bookings",
            Some(&d.token),
            json!({"station_id": id, "vehicle_id": v, "slot_start": rush["start"], "payment_method": "at_station"}),
        )
        .await;
    assert_eq!(status, 201);
    // Booked as asked, with a nudge: calmer slots of that day.
    let calmer = booked["suggestions"]["slots"].as_array().unwrap();
    assert!(!calmer.is_empty(), "{booked}");
    assert!(calmer.iter().all(|s| s["rush_level"] != "high"), "{booked}");
    // The web picker nudges the same way when a rush slot is tapped.
    let page = app
        .http
        .get(app.url(&format!(
            "/stations/{id}?slot={}",
            rush["start"].as_str().unwrap().replace('+', "%2B")
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"calmer\""), "{page}");
    // A calm slot gets no nudge.
    let night = &slots_on(&app, id, date).await[12];
    let (status, calm) = app
        .post(
            "/api/v1/bookings",
            Some(&d.token),
            json!({"station_id": id, "vehicle_id": v, "slot_start": night["start"], "payment_method": "at_station"}),
        )
        .await;
    assert_eq!(status, 201, "{calm}");
    assert!(calm.get("suggestions").is_none(), "{calm}");
    let patch = |body: Value| app.patch_station(&root, id, body);
    // A price change leaves the slot as it was sized.
    patch(json!({"price_paise_per_kg": 7_700})).await;
    let slots = slots_on(&app, id, date).await;
    assert_eq!(slot_of(&slots, &rush["start"])["capacity"], sized);
    // A lane down: one lane serves 3 a slot, and the room for walk-ins stays within the
    // station's bounds (half of 3) — the slot shrinks, never grows.
    patch(json!({"lanes_down": 1})).await;
    let slots = slots_on(&app, id, date).await;
    let after = slot_of(&slots, &rush["start"])["capacity"]
        .as_u64()
        .unwrap();
    assert_eq!(after, 2, "3 places less 1 kept for walk-ins");
}

/// The station's slots of `date`, as the API lists them.
async fn slots_on(app: &common::app::TestApp, id: u64, date: chrono::NaiveDate) -> Value {
    let (status, slots) = app
        .get(&format!("/api/v1/stations/{id}/slots?date={date}"), None)
        .await;
    assert_eq!(status, 200, "{slots}");
    slots
}

/// The first slot the forecast calls a rush.
fn first_rush(slots: &Value) -> Value {
    slots
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rush_level"] == "high")
        .expect("a rush slot")
        .clone()
}
