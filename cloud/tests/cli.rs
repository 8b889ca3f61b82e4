//! The `gasq-cloud` binary: commands, startup errors, signals.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

#[test]
fn an_unreachable_database_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(gasq(dir.path()).args([
        "--database-url",
        "postgres://gasq:secret@127.0.0.1:1/gasq",
        "migrate",
    ]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot migrate") && err.contains("127.0.0.1:1"),
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
    let port = free_port();
    let mut child = gasq(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
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
    let out = run(gasq(dir.path())
        .env("GASQ_DATABASE_URL", "postgres://gasq@127.0.0.1:1/gasq")
        .arg("migrate"));
    assert!(!out.status.success(), "GASQ_DATABASE_URL was ignored");
    assert!(
        text(&out.stderr).contains("127.0.0.1:1"),
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
