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
