//! The `gasq-cloud` binary: commands, startup errors, signals.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::app::{MASTER_KEY, Session, TestApp, future_slot, spawn_app_on};
use common::db::TestDb;
use common::served::printed;
use gasq_cloud::domain::Role;
use gasq_shared::keys::{KeyStatus, TokenKeys};
use serde_json::json;

crate::on_both_backends!(
    databases:
    a_rotation_is_published_at_once_and_signs_only_after_its_lead,
    a_token_of_a_retired_key_still_verifies,
);

fn gasq(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gasq-cloud"));
    cmd.current_dir(dir)
        .env_remove("GASQ_DATABASE_URL")
        .env_remove("GASQ_LISTEN")
        .env("GASQ_DATA_DIR", dir.join("data"))
        .env("RUST_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn default_config_prints_toml_that_documents_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(gasq(dir.path()).arg("default-config"));
    assert!(out.status.success());
    let toml = text(&out.stdout);
    assert!(toml.contains("listen = \"127.0.0.1:8080\""), "{toml}");
    assert!(toml.contains("GASQ_"), "{toml}");
}

#[test]
fn the_readme_documents_every_setting() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let defaults = serde_json::to_value(gasq_cloud::config::Settings::default()).unwrap();
    let mut names = Vec::new();
    for (key, value) in defaults.as_object().unwrap() {
        match value.as_object() {
            Some(section) => names.extend(
                section
                    .keys()
                    .map(|sub| (format!("{key}.{sub}"), format!("GASQ_{key}__{sub}"))),
            ),
            None => names.push((key.clone(), format!("GASQ_{key}"))),
        }
    }
    assert!(names.len() > 15, "{names:?}");
    for (toml_key, env) in names {
        for needle in [format!("`{toml_key}`"), format!("`{}`", env.to_uppercase())] {
            assert!(
                readme.contains(&needle),
                "README.md's configuration table lacks {needle}"
            );
        }
    }
}

#[test]
fn a_bad_config_is_one_line_naming_the_key_and_a_failure_exit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gasq.toml"),
        "[auth]\naccess_token_ttl_secs = 99999\n",
    )
    .unwrap();
    let out = run(gasq(dir.path()).args(["--config", "gasq.toml", "migrate"]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("access_token_ttl_secs"), "{err}");
}

/// An address nobody answers at: a port this test holds, bound but not listening (a
/// fixed "closed" port could be another test's, or a real server's).
fn refusing_address() -> (tokio::net::TcpSocket, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

#[test]
fn an_unreachable_database_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (_held, nobody) = refusing_address();
    let out = run(gasq(dir.path()).args([
        "--database-url",
        &format!("postgres://gasq:secret@{nobody}/gasq"),
        "migrate",
    ]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot migrate") && err.contains(&nobody.to_string()),
        "{err}"
    );
    assert!(!err.contains("secret"), "the password leaked: {err}");
}

#[test]
fn a_port_in_use_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(gasq(dir.path()).args(["serve", "--listen", &addr]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot listen on"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn keys_rotate_publishes_a_new_signer_and_retires_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(gasq(dir.path()).arg("migrate")).status.success());
    let out = run(gasq(dir.path()).args(["keys", "rotate", "--lead-hours", "0"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&run(gasq(dir.path()).args(["keys", "list"])).stdout);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].contains("kid   1") && lines[0].contains("Retired"),
        "{list}"
    );
    assert!(
        lines[1].contains("kid   2") && lines[1].contains("(signing)"),
        "{list}"
    );
}

/// Runs `gasq-cloud keys rotate` (with `lead_hours`, or the default) against the
/// test app's database, as an operator would beside the running server.
async fn rotate_beside(app: &TestApp, lead_hours: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let url = app.app.settings.effective_database_url();
    let mut cmd = gasq(dir.path());
    cmd.env("GASQ_MASTER_KEY", MASTER_KEY)
        .args(["--database-url", &url, "keys", "rotate"]);
    if let Some(hours) = lead_hours {
        cmd.args(["--lead-hours", hours]);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A driver with a confirmed booking; returns the session and the booking's path.
async fn booked(app: &TestApp) -> (Session, String) {
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let station = app.station(&root, "MUM-0042", 2).await["id"].clone();
    let driver = app.driver(1).await;
    let vehicle = app.vehicle(&driver, "MH12AB1234").await;
    let body = json!({"station_id": station, "vehicle_id": vehicle, "slot_start": future_slot(3), "payment_method": "at_station"});
    let (status, b) = app
        .post("/api/v1/bookings", Some(&driver.token), body)
        .await;
    assert_eq!(status, 201, "{b}");
    (
        driver,
        format!("/api/v1/bookings/{}/token", b["id"].as_str().unwrap()),
    )
}

async fn token(app: &TestApp, driver: &Session, path: &str) -> String {
    let (status, t) = app.get(path, Some(&driver.token)).await;
    assert_eq!(status, 200, "{t}");
    t["token"].as_str().unwrap().to_owned()
}

async fn published(app: &TestApp) -> TokenKeys {
    serde_json::from_value(app.get("/api/v1/token-keys", None).await.1).unwrap()
}

async fn a_rotation_is_published_at_once_and_signs_only_after_its_lead(db: TestDb) {
    let app = spawn_app_on(db).await;
    let (driver, path) = booked(&app).await;
    assert_eq!(published(&app).await.keys.len(), 1);

    rotate_beside(&app, None).await;

    let keys = published(&app).await;
    let kids: Vec<(u8, KeyStatus, bool)> = keys
        .keys
        .iter()
        .map(|k| (k.kid, k.status, k.signing))
        .collect();
    assert_eq!(
        kids,
        [(1, KeyStatus::Active, true), (2, KeyStatus::Active, false)],
        "the new key is published at once, the old one still signs"
    );
    let t = token(&app, &driver, &path).await;
    let claims = gasq_shared::token::verify(&t, &keys.key_set().unwrap()).unwrap();
    assert_eq!(claims.kid, 1, "24 h before the new key may sign");
}

async fn a_token_of_a_retired_key_still_verifies(db: TestDb) {
    let app = spawn_app_on(db).await;
    let (driver, path) = booked(&app).await;
    let old = token(&app, &driver, &path).await;

    rotate_beside(&app, Some("0")).await;

    let keys = published(&app).await;
    let kids: Vec<(u8, KeyStatus, bool)> = keys
        .keys
        .iter()
        .map(|k| (k.kid, k.status, k.signing))
        .collect();
    assert_eq!(
        kids,
        [(1, KeyStatus::Retired, false), (2, KeyStatus::Active, true)]
    );
    let claims = gasq_shared::token::verify(&old, &keys.key_set().unwrap()).unwrap();
    assert_eq!(claims.kid, 1);
}

#[tokio::test]
async fn the_audit_log_verifies_until_someone_edits_it() {
    let dir = tempfile::tempdir().unwrap();
    let add = run(gasq(dir.path()).args([
        "user",
        "add",
        "--email",
        "root@example.in",
        "--password",
        "root-pass-1",
        "--role",
        "super_admin",
    ]));
    assert!(add.status.success(), "{}", text(&add.stderr));
    let ok = run(gasq(dir.path()).args(["audit", "verify"]));
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("intact"));

    let db = dir.path().join("data/gasq.sqlite");
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        db.display()
    ))
    .await
    .unwrap();
    sqlx::query("UPDATE audit_log SET detail = '{\"role\":\"driver\"}' WHERE seq = 1")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);

    let broken = run(gasq(dir.path()).args(["audit", "verify"]));
    assert!(!broken.status.success());
    let err = text(&broken.stderr);
    assert!(
        err.contains("NOT intact") && err.contains("entry 1:"),
        "{err}"
    );
}

#[test]
fn serve_answers_the_first_super_admin_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let add = run(gasq(dir.path()).args([
        "user",
        "add",
        "--email",
        "root@example.in",
        "--password",
        "root-pass-1",
        "--role",
        "super_admin",
    ]));
    assert!(add.status.success(), "{}", text(&add.stderr));
    let mut child = gasq(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The port the system picked: "GasQ cloud listening on http://127.0.0.1:PORT  (…)".
    let listening = printed(&mut child, "GasQ cloud listening on ");
    let base = listening.split_whitespace().next().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let http = reqwest::blocking::Client::new();
    while http.get(format!("{base}/healthz")).send().is_err() {
        assert!(Instant::now() < deadline, "server did not come up");
        assert!(child.try_wait().unwrap().is_none(), "server exited");
        std::thread::yield_now();
    }
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "root@example.in", "password": "root-pass-1"}))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    let demo = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "driver@demo.gasq.in", "password": "demo-driver-pass"}))
        .send()
        .unwrap();
    assert_eq!(demo.status(), 200);
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    // Without GASQ_PUBLIC_URL, links in messages point at the listen address: it says so.
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(log.contains("GASQ_PUBLIC_URL is not set"), "{log}");
    // … and links then use the port actually bound, not the `:0` asked for.
    assert!(log.contains(&base), "{base} in {log}");
}

#[test]
fn demo_traffic_writes_tokens_and_an_enrollment_code_is_printed_for_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(gasq(dir.path()).args(["demo-traffic", "--count", "3", "--out", "tokens.txt"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tokens = std::fs::read_to_string(dir.path().join("tokens.txt")).unwrap();
    let tokens: Vec<&str> = tokens.lines().collect();
    assert_eq!(tokens.len(), 3);
    for t in &tokens {
        let decoded = gasq_shared::token::decode(t).unwrap();
        assert_eq!(decoded.claims.station_id, 1);
    }
    let code = run(gasq(dir.path()).args(["enrollment-code", "--station", "MUM-0042"]));
    assert!(code.status.success(), "{}", text(&code.stderr));
    let stdout = text(&code.stdout);
    assert_eq!(
        stdout.trim().len(),
        14,
        "only the code on stdout: {stdout:?}"
    );
    let missing = run(gasq(dir.path()).args(["enrollment-code", "--station", "DEL-0001"]));
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("does not exist"));
}

#[test]
fn settings_come_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (_held, nobody) = refusing_address();
    let out = run(gasq(dir.path())
        .env(
            "GASQ_DATABASE_URL",
            format!("postgres://gasq@{nobody}/gasq"),
        )
        .arg("migrate"));
    assert!(!out.status.success(), "GASQ_DATABASE_URL was ignored");
    assert!(
        text(&out.stderr).contains(&nobody.to_string()),
        "{}",
        text(&out.stderr)
    );
    let out = run(gasq(dir.path())
        .env("GASQ_AUTH__ACCESS_TOKEN_TTL_SECS", "5")
        .arg("migrate"));
    assert!(!out.status.success(), "a nested GASQ_ variable was ignored");
    assert!(
        text(&out.stderr).contains("access_token_ttl_secs"),
        "{}",
        text(&out.stderr)
    );
    // Other programs' GASQ_ variables are not this one's business.
    let out = run(gasq(dir.path())
        .env("GASQ_MQTT_LISTEN", "127.0.0.1:1")
        .arg("migrate"));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn an_sms_is_answered_from_the_command_line_with_no_twilio_account() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(gasq(dir.path()).args(["sms", "--from", "9811122233", "मदद"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let reply = text(&out.stdout);
    assert!(
        reply.starts_with("GasQ: बुक: BOOK"),
        "a Hindi keyword gets Hindi help: {reply}"
    );
    // The number wrote in Hindi once: its replies stay Hindi.
    let out = run(gasq(dir.path()).args(["sms", "--from", "9811122233", "BOOK NOPE-0001 17:30"]));
    assert!(
        text(&out.stdout).contains("नहीं मिला"),
        "{}",
        text(&out.stdout)
    );
    let out = run(gasq(dir.path()).args(["sms", "--from", "not a phone", "HELP"]));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not a phone number"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn integration_settings_in_the_environment_stay_text_even_when_they_look_like_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(gasq(dir.path())
        .env("RUST_LOG", "info")
        .env("GASQ_TWILIO_ACCOUNT_SID", "AC0123")
        .env("GASQ_TWILIO_AUTH_TOKEN", "0123456789")
        .env("GASQ_TWILIO_FROM", "+15005550006")
        .env("GASQ_TWILIO_BASE_URL", "http://127.0.0.1:9")
        // …and the one number they have, a duration, is read as one.
        .env("GASQ_TWILIO_TIMEOUT_SECS", "3")
        .args(["sms", "--from", "9811122233", "HELP"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("sms=\"twilio\""),
        "{}",
        text(&out.stderr)
    );
}
