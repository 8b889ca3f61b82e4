#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! The command line as a technician uses it: the example config is valid, a bad config
//! is one line naming the key and a non-zero exit, the shipped examples check out.

use std::process::{Command, Output};

fn bridge(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gasq-bridge"));
    cmd.args(args)
        .env_remove("GASQ_BRIDGE_CONFIG")
        .env_remove("GASQ_STATION");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_printed_default_config_passes_the_check() {
    let printed = bridge(&["default-config"], &[]);
    assert!(printed.status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridge.toml");
    std::fs::write(&path, &printed.stdout).unwrap();
    let check = bridge(&["check", "--config", path.to_str().unwrap()], &[]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).starts_with("config OK: station MUM-0042"));
}

#[test]
fn a_bad_config_is_one_line_naming_the_key_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridge.toml");
    std::fs::write(&path, "station = \"MUM-0042\"\n[[scanner]]\nlane = 1\nport = \"/dev/ttyUSB0\"\nparity = \"sometimes\"\n").unwrap();
    let out = bridge(&["run", "--config", path.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("scanner #1 parity"), "{err}");
}

#[test]
fn environment_and_flags_are_layered_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridge.toml");
    std::fs::write(&path, "station = \"MUM-0042\"\n").unwrap();
    let p = path.to_str().unwrap();
    let env = bridge(
        &["check", "--config", p],
        &[("GASQ_MQTT_URL", "mqtt://edge-box:1884")],
    );
    assert!(
        text(&env.stdout).contains("broker mqtt://edge-box:1884"),
        "{}",
        text(&env.stderr)
    );
    let flag = bridge(
        &["check", "--config", p, "--mqtt-url", "mqtt://flag:1"],
        &[("GASQ_MQTT_URL", "mqtt://edge-box:1884")],
    );
    assert!(text(&flag.stdout).contains("broker mqtt://flag:1"));
    let bad = bridge(
        &["check", "--config", p],
        &[("GASQ_MQTT_URL", "http://nope")],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("environment GASQ_MQTT_URL"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn the_example_configs_in_deploy_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/bridge");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let out = bridge(&["check", "--config", path.to_str().unwrap()], &[]);
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                text(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "expected example configs in {}",
        dir.display()
    );
}

#[test]
fn simulate_without_tokens_explains_what_to_give() {
    let out = bridge(&["simulate", "--station", "MUM-0042", "--lanes", "1"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--tokens FILE"),
        "{}",
        text(&out.stderr)
    );
}
