//! The programs as a technician meets them: enroll (and its errors), run (and its
//! errors), doctor, status, config layering, a clean stop, and broker credentials.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::os::unix::fs::PermissionsExt;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge, SECRET, output};
use common::fake_cloud::{FakeCloud, PoisonMode};
use common::tokens;
use gasq_shared::sync::EdgeEventKind;
use gasq_shared::topics::Reason;

const STATION: &str = "CLI-0001";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_stores_a_private_key_and_only_a_hash_of_the_secret() {
    let cloud = FakeCloud::start().await;
    cloud.add_code(
        "ONE-TIME",
        tokens::station(STATION, 2),
        tokens::token_keys(),
        SECRET,
    );
    let dir = tempfile::tempdir().unwrap();
    let args = ["enroll", "--cloud", &cloud.url, "--code", "ONE-TIME"];
    let out = output(&args, dir.path()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(SECRET) && stdout.contains(STATION),
        "{stdout}"
    );

    let key = std::fs::metadata(dir.path().join("device.key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    let toml = std::fs::read_to_string(dir.path().join("edge.toml")).unwrap();
    assert!(toml.contains(&cloud.url), "{toml}");
    for file in ["edge.db", "edge.db-wal", "edge.toml"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        assert!(
            !text(&bytes).contains(SECRET),
            "{file} holds the attendant secret"
        );
    }

    let again = output(&args, dir.path()).await;
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already enrolled"),
        "{}",
        text(&again.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enroll_errors_are_one_line_with_the_clouds_words() {
    let cloud = FakeCloud::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = output(
        &["enroll", "--cloud", &cloud.url, "--code", "WRONG"],
        dir.path(),
    )
    .await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("unknown, used or expired"), "{err}");

    let (_held, nobody) = common::refusing_address();
    let out = output(
        &[
            "enroll",
            "--cloud",
            &format!("http://{nobody}"),
            "--code",
            "X",
        ],
        dir.path(),
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot reach the cloud"),
        "{}",
        text(&out.stderr)
    );

    let out = output(
        &["enroll", "--cloud", "not a url", "--code", "X"],
        dir.path(),
    )
    .await;
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_refuses_clearly_when_not_enrolled_or_a_port_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let out = output(
        &[
            "run",
            "--http-listen",
            "127.0.0.1:0",
            "--mqtt-listen",
            "127.0.0.1:0",
        ],
        dir.path(),
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not enrolled"),
        "{}",
        text(&out.stderr)
    );

    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    for flag in ["--http-listen", "--mqtt-listen"] {
        let other = if flag == "--http-listen" {
            "--mqtt-listen"
        } else {
            "--http-listen"
        };
        let out = output(&["run", flag, &port, other, "127.0.0.1:0"], data.path()).await;
        assert!(!out.status.success(), "{flag}");
        let err = text(&out.stderr);
        assert!(err.contains("in use"), "{flag}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_a_healthy_box_and_names_the_fix_when_the_cloud_is_gone() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    let running = Edge::start(data.path(), &[]).await;
    running.wait_synced().await;
    let doctor = || {
        let mut cmd = edge::bin();
        cmd.args(["doctor", "--data-dir"])
            .arg(data.path())
            .env("GASQ_HTTP_LISTEN", running.http.to_string())
            .env("GASQ_MQTT_LISTEN", running.mqtt.to_string());
        cmd
    };
    let out = doctor().output().await.unwrap();
    let report = text(&out.stdout);
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    for check in [
        "data dir",
        "database",
        "enrollment",
        "device key",
        "cloud",
        "clock",
        "key set",
        "last sync",
        "outbox",
    ] {
        assert!(report.contains(check), "{check} missing from:\n{report}");
    }

    cloud.set_down(true);
    let out = doctor().output().await.unwrap();
    let report = text(&out.stdout);
    assert!(!out.status.success(), "{report}");
    assert!(report.contains("FAIL  cloud"), "{report}");
    assert!(report.contains("fix:"), "{report}");

    let empty = tempfile::tempdir().unwrap();
    let out = output(&["doctor"], &empty.path().join("nothing")).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains("FAIL  data dir"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_blames_a_skewed_clock_not_the_enrollment_when_the_cloud_says_401() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    // As if this box's clock ran an hour late: its device JWTs have expired on arrival.
    cloud.set_clock_ahead(3600);
    let out = edge::bin()
        .args(["doctor", "--data-dir"])
        .arg(data.path())
        .env("GASQ_HTTP_LISTEN", "127.0.0.1:0")
        .env("GASQ_MQTT_LISTEN", "127.0.0.1:0")
        .output()
        .await
        .unwrap();
    let report = text(&out.stdout);
    assert!(!out.status.success(), "{report}");
    assert!(report.contains("FAIL  clock"), "{report}");
    assert!(report.contains("behind the cloud"), "{report}");
    assert!(report.contains("FAIL  cloud"), "{report}");
    assert!(report.contains("not the enrollment"), "{report}");
    assert!(report.contains("set-ntp true"), "{report}");
    assert!(!report.contains("enroll --force"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarantined_events_show_in_edge_status_and_fail_doctor() {
    let cloud = FakeCloud::start().await;
    cloud.set_poison(PoisonMode::Reject, |e| {
        matches!(
            e.kind,
            EdgeEventKind::Rejected {
                reason: Reason::Malformed,
                ..
            }
        )
    });
    let data = edge::enroll(&cloud, STATION, 1).await;
    let running = Edge::start(data.path(), &[]).await;
    running.wait_synced().await;
    let topic = format!("gasq/{STATION}/edge/status");
    let mut watcher =
        BusClient::connect(running.mqtt, &[verdicts(STATION), topic.clone()], None).await;
    watcher
        .publish(&lane_topic(STATION, 1, "scan"), b"\xff\xfe".to_vec())
        .await;
    running
        .wait_status("the refused event to be quarantined", |s| {
            s["quarantined"] == 1
        })
        .await;
    let retained = async {
        loop {
            let status: serde_json::Value =
                serde_json::from_slice(&watcher.next_on(&topic).await).unwrap();
            if status["quarantined"] == 1 {
                return;
            }
        }
    };
    tokio::time::timeout(common::DEADLINE, retained)
        .await
        .expect("edge/status reports the quarantined event");
    // The cloud hears of it too (its dashboard shows events set aside).
    common::eventually("the cloud to be told", || {
        cloud
            .state()
            .health
            .iter()
            .any(|h| h.quarantined == Some(1))
    })
    .await;

    let out = edge::bin()
        .args(["doctor", "--data-dir"])
        .arg(data.path())
        .env("GASQ_HTTP_LISTEN", running.http.to_string())
        .env("GASQ_MQTT_LISTEN", running.mqtt.to_string())
        .output()
        .await
        .unwrap();
    let report = text(&out.stdout);
    assert!(!out.status.success(), "{report}");
    assert!(report.contains("FAIL  quarantine"), "{report}");
    assert!(report.contains("FROM quarantine"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reads_the_running_agent_or_else_the_data_dir() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 2).await;
    let out = output(&["status", "--json"], data.path()).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let offline: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(offline["station"], STATION);
    assert_eq!(offline["online_to_cloud"], false);

    let running = Edge::start(data.path(), &[]).await;
    running.wait_synced().await;
    // Asked for port 0, it reports the ports it got: printed (Edge::start read them from
    // its stdout) and in /status.
    let status = running.status().await;
    assert_eq!(status["http"], running.http.to_string(), "{status}");
    assert_eq!(
        status["mqtt"],
        format!("mqtt://{}", running.mqtt),
        "{status}"
    );
    // No address given: status finds the agent where it said it listens (port 0 here).
    let out = output(&["status"], data.path()).await;
    let shown = text(&out.stdout);
    assert!(
        shown.contains("agent     running") && shown.contains("online"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_layer_file_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("edge.toml"),
        "push_batch = 50\npull_interval_secs = 30\n",
    )
    .unwrap();
    let out = edge::bin()
        .args(["config", "--data-dir"])
        .arg(dir.path())
        .env("GASQ_PUSH_BATCH", "70")
        .env("GASQ_MQTT_PASSWORD", "hunter2")
        .env("GASQ_MQTT_USERNAME", "dev")
        .output()
        .await
        .unwrap();
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(shown.contains("push_batch = 70"), "{shown}");
    assert!(shown.contains("pull_interval_secs = 30"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");

    std::fs::write(dir.path().join("edge.toml"), "push_bacth = 50\n").unwrap();
    let out = output(&["config"], dir.path()).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("push_bacth"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_agent_cleanly() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, 1).await;
    let running = Edge::start(data.path(), &[]).await;
    let topic = format!("gasq/{STATION}/edge/status");
    let mut watcher = BusClient::connect(running.mqtt, std::slice::from_ref(&topic), None).await;
    let status: serde_json::Value = serde_json::from_slice(&watcher.next_on(&topic).await).unwrap();
    assert_eq!(status["agent_online"], true);
    assert!(running.terminate().await.success());
}
