//! Edge load benchmark (release): `cargo bench -p gasq-edge --bench edge`.
//!
//! In one run, on this machine:
//! 1. raw Ed25519 `verify_strict` per second on one core (the reference);
//! 2. the validator's pure checks (decode, key, signature, station, window) per second
//!    on one core, and their ratio to (1);
//! 3. the embedded broker's own QoS 1 publish→receive round trip (a client hearing its
//!    own publish), against the real `gasq-edge` binary; then a request answered by a
//!    second client (the shape of scan→verdict, without the validator), on our broker
//!    and on a bare rumqttd 0.20 started here without our TCP_NODELAY fix;
//! 4. scan→verdict over the bus with durable redemption (WAL, synchronous=FULL, on the
//!    target dir's disk): p50 / p99 / max for sequential scans, each a new booking;
//! 5. sustained throughput: a burst of scans published back to back; then the paced
//!    mode of a busy station: one scan every 50 ms, next to the broker's own echo and
//!    the disk's durable commit paced the same way (an idle process wakes up for each,
//!    unlike back to back, and cold caches slow what it runs);
//! 6. a flood of decompression bombs (32 PNGs of 4096×4096 16-bit RGBA, 128 MiB each
//!    decoded) across 8 lanes, with sequential scans in between: scan→verdict during
//!    the flood and the agent's peak memory (VmHWM).
//!
//! The edge is enrolled against the tests' fake cloud, like in the integration tests
//! (on a runtime of its own: the cloud answering the edge's pushes is not on the
//! scanner's path), and the bench's clients log in as a provisioned bridge
//! (`gasq-edge bus-client add`), signing the dispenser events they send.
//! `GASQ_BENCH_SCANS` sets the number of sequential scans (default 2000),
//! `GASQ_BENCH_PACED` that of each paced measure (default 200; more give a steadier p99);
//! `GASQ_BENCH_EDGE_BIN=PATH` runs another build of `gasq-edge` instead of this one, so
//! two builds can be compared in alternating runs (on a shared machine, runs minutes
//! apart differ more than the builds do).

#![allow(clippy::unwrap_used)] // a benchmark harness: a panic is a failed run

#[path = "../tests/common/fake_cloud.rs"]
#[allow(dead_code)]
mod fake_cloud;
#[path = "../tests/common/tokens.rs"]
#[allow(dead_code)]
mod tokens;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};
use gasq_edge::broker::nodelay;
use gasq_edge::validator::check::check_token;
use gasq_shared::topics::Verdict;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, NetworkOptions, Packet, QoS};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

const STATION: &str = "BEN-0001";
const LANES: u16 = 8;

/// The bench's station-bus login (username, password), once provisioned.
static LOGIN: OnceLock<(String, String)> = OnceLock::new();

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (raw, checks) = verification();
    println!("## Verification, one core");
    println!("raw Ed25519 verify_strict      {raw:>10.0} /s");
    println!(
        "validator checks (token v1)     {checks:>10.0} /s  ({:.0}% of raw)",
        100.0 * checks / raw
    );
    let cloud_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fake-cloud")
        .enable_all()
        .build()
        .unwrap();
    let cloud = cloud_runtime.block_on(fake_cloud::FakeCloud::start());
    runtime.block_on(over_the_bus(&cloud));
}

/// Operations per second of `f` over `n` runs (after a warm-up).
fn rate(n: usize, mut f: impl FnMut(usize)) -> f64 {
    for i in 0..n / 10 {
        f(i);
    }
    let start = Instant::now();
    for i in 0..n {
        f(i);
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Raw verify/s and validator checks/s, measured in turns (three rounds each, the best
/// of each kept) so that a noisy moment on a shared machine hurts neither side alone.
fn verification() -> (f64, f64) {
    let key = SigningKey::from_bytes(&[3; 32]);
    let message = [7u8; 100];
    let signature = key.sign(&message);
    let public = key.verifying_key();
    let mut keys = gasq_shared::token::KeySet::new();
    keys.insert(tokens::KID, tokens::signing_key().verifying_key());
    let toks: Vec<String> = (0..1000).map(|_| tokens::valid().text).collect();
    let now = chrono::Utc::now().timestamp();
    let (mut raw, mut checks) = (0.0_f64, 0.0_f64);
    for _ in 0..3 {
        raw = raw.max(rate(10_000, |_| {
            let ok = public.verify_strict(std::hint::black_box(&message), &signature);
            assert!(ok.is_ok());
        }));
        checks = checks.max(rate(10_000, |i| {
            let text = std::hint::black_box(&toks[i % toks.len()]);
            let ok = check_token(text, &keys, tokens::STATION_ID, now, 120);
            assert!(ok.is_ok());
        }));
    }
    (raw, checks)
}

/// A commit of one row in its own transaction, WAL + synchronous=FULL, in `dir`: the
/// floor under any durable redemption on this disk. With `pace`, one commit after each
/// such pause (the thread sleeping in between, as the agent's does between scans).
fn sqlite_commits(dir: &std::path::Path, n: usize, pace: Option<Duration>) -> Vec<Duration> {
    let name = if pace.is_some() {
        "paced.db"
    } else {
        "floor.db"
    };
    let conn = rusqlite::Connection::open(dir.join(name)).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, at TEXT)", [])
        .unwrap();
    (0..n)
        .map(|_| {
            if let Some(pace) = pace {
                std::thread::sleep(pace);
            }
            let start = Instant::now();
            let id = uuid::Uuid::now_v7().to_string();
            conn.execute("INSERT INTO t VALUES (?1, datetime('now'))", [id])
                .unwrap();
            start.elapsed()
        })
        .collect()
}

/// The real binary, enrolled with the fake cloud, data on the target dir's disk.
async fn start_edge(
    cloud: &fake_cloud::FakeCloud,
    dir: &std::path::Path,
) -> (tokio::process::Child, SocketAddr) {
    cloud.add_code(
        "BENCH",
        tokens::station(STATION, LANES),
        tokens::token_keys(),
        "secret",
    );
    let other_build = std::env::var("GASQ_BENCH_EDGE_BIN").ok();
    let bin = other_build
        .as_deref()
        .unwrap_or(env!("CARGO_BIN_EXE_gasq-edge"));
    let enroll = tokio::process::Command::new(bin)
        .args([
            "enroll",
            "--cloud",
            &cloud.url,
            "--code",
            "BENCH",
            "--data-dir",
        ])
        .arg(dir)
        .output()
        .await
        .unwrap();
    assert!(
        enroll.status.success(),
        "{}",
        String::from_utf8_lossy(&enroll.stderr)
    );
    let add = tokio::process::Command::new(bin)
        .args(["bus-client", "add", "bench", "--data-dir"])
        .arg(dir)
        .output()
        .await
        .unwrap();
    let login: serde_json::Value = serde_json::from_slice(&add.stdout).unwrap();
    let _ = LOGIN.set((
        login["username"].as_str().unwrap().to_owned(),
        login["password"].as_str().unwrap().to_owned(),
    ));
    let mut child = tokio::process::Command::new(bin)
        .args([
            "run",
            "--http-listen",
            "127.0.0.1:0",
            "--mqtt-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir)
        .env("GASQ_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The port it bound (docs/edge.md, "What `run` prints").
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mqtt = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("gasq-edge is running");
        if let Some(addr) = line.strip_prefix("station bus (MQTT) listening on ") {
            break addr.parse().unwrap();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, mqtt)
}

/// A QoS 1 client with Nagle off, and its incoming publishes.
async fn client(
    addr: SocketAddr,
    filters: &[String],
) -> (AsyncClient, mpsc::UnboundedReceiver<(String, bytes::Bytes)>) {
    let mut options = MqttOptions::new(
        format!("bench-{}", rand::random::<u32>()),
        addr.ip().to_string(),
        addr.port(),
    );
    if let Some((user, password)) = LOGIN.get() {
        options.set_credentials(user.clone(), password.clone());
    }
    options.set_keep_alive(Duration::from_secs(30));
    options.set_inflight(1000);
    // Frames (the bomb flood) are far bigger than rumqttc's default limit.
    options.set_max_packet_size(16 << 20, 16 << 20);
    let (client, mut events) = AsyncClient::new(options, 10_000);
    let mut net = NetworkOptions::new();
    net.set_tcp_nodelay(true);
    events.set_network_options(net);
    for f in filters {
        client.subscribe(f.clone(), QoS::AtLeastOnce).await.unwrap();
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(pump(events, tx, filters.len(), ready_tx));
    ready_rx.await.unwrap();
    (client, rx)
}

async fn pump(
    mut events: EventLoop,
    tx: mpsc::UnboundedSender<(String, bytes::Bytes)>,
    mut subacks: usize,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                subacks -= 1;
                if subacks == 0 {
                    ready.take().map(|r| r.send(()));
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let _ = tx.send((p.topic, p.payload));
            }
            Ok(_) => {}
            // The edge is gone (end of the run): stop quietly.
            Err(_) => return,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<32} n={:<6} p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms",
        samples.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
        ms(*samples.last().unwrap())
    );
}

async fn over_the_bus(cloud: &fake_cloud::FakeCloud) {
    let count = |var: &str, default: usize| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (n, paced) = (
        count("GASQ_BENCH_SCANS", 2000),
        count("GASQ_BENCH_PACED", PACED),
    );
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    println!("\n## Durable commit floor (same disk)");
    report(
        "SQLite commit, WAL+FULL",
        sqlite_commits(dir.path(), n, None),
    );
    let (edge, mqtt) = start_edge(cloud, dir.path()).await;
    println!("\n## Over the station bus (release binary, loopback)");
    report(
        "broker publish→receive (QoS 1)",
        broker_round_trips(mqtt, n).await,
    );
    report(
        "request→reply via 2nd client",
        request_reply_round_trips(mqtt, n / 4).await,
    );
    report(
        "  same on bare rumqttd (ref.)",
        request_reply_round_trips(bare_rumqttd(), 50).await,
    );
    let verdicts = format!("gasq/{STATION}/lane/+/verdict");
    let (scanner, mut answers) = client(mqtt, &[verdicts]).await;
    report(
        "scan→verdict, durable redeem",
        sequential_scans(&scanner, &mut answers, n).await,
    );
    pipelined_scans(&scanner, &mut answers, n).await;
    println!("\n## Paced: one every {PACE:?} (a busy station)");
    report(
        "broker publish→receive, paced",
        broker_round_trips_paced(mqtt, paced).await,
    );
    let floor_dir = dir.path().to_owned();
    let paced_commits =
        tokio::task::spawn_blocking(move || sqlite_commits(&floor_dir, paced, Some(PACE)));
    report("SQLite commit, paced", paced_commits.await.unwrap());
    report(
        "scan→verdict, paced",
        sequential_scans_paced(&scanner, &mut answers, paced).await,
    );
    println!("\n## A flood of decompression bombs (32 across {LANES} lanes)");
    bomb_flood(&scanner, &mut answers, edge.id().unwrap()).await;
}

/// A rumqttd 0.20 as it comes (no TCP_NODELAY on accepted sockets), on a port the
/// system picks: its listener is found among this process's sockets, as the agent finds
/// its own broker's.
fn bare_rumqttd() -> SocketAddr {
    let before = nodelay::existing_sockets();
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = rumqttd::ServerSettings {
        name: "bare".into(),
        listen: any_port,
        tls: None,
        next_connection_delay_ms: 1,
        connections: rumqttd::ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: 1 << 20,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = rumqttd::Config {
        router: rumqttd::RouterConfig {
            max_connections: 16,
            max_outgoing_packet_count: 200,
            max_segment_size: 1 << 20,
            max_segment_count: 4,
            ..Default::default()
        },
        v4: Some(std::collections::HashMap::from([("1".to_owned(), server)])),
        ..Default::default()
    };
    std::thread::spawn(move || {
        let _ = rumqttd::Broker::new(config).start();
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = nodelay::find_listener(any_port, &before).unwrap() {
            return found.addr;
        }
        assert!(Instant::now() < deadline, "the bare rumqttd never listened");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A client hearing its own QoS 1 publish: the broker's share of any verdict's trip.
async fn broker_round_trips(mqtt: SocketAddr, n: usize) -> Vec<Duration> {
    let echo = format!("gasq/{STATION}/bench/echo");
    let (client, mut echoes) = client(mqtt, std::slice::from_ref(&echo)).await;
    let mut rtt = Vec::with_capacity(n);
    for i in 0..n + n / 10 {
        let start = Instant::now();
        client
            .publish(&echo, QoS::AtLeastOnce, false, vec![b'x'; 100])
            .await
            .unwrap();
        echoes.recv().await.unwrap();
        if i >= n / 10 {
            rtt.push(start.elapsed());
        }
    }
    rtt
}

/// A QoS 1 request answered by another client, like a scan answered by a verdict: the
/// broker's PUBACK goes out first and the answer comes later on the same socket, which
/// is where Nagle's algorithm bites unless the broker's sockets have TCP_NODELAY.
async fn request_reply_round_trips(mqtt: SocketAddr, n: usize) -> Vec<Duration> {
    let (req, resp) = (
        format!("gasq/{STATION}/bench/req"),
        format!("gasq/{STATION}/bench/resp"),
    );
    let (responder, mut requests) = client(mqtt, std::slice::from_ref(&req)).await;
    let reply_to = resp.clone();
    tokio::spawn(async move {
        while let Some((_, payload)) = requests.recv().await {
            let _ = responder
                .publish(&reply_to, QoS::AtLeastOnce, false, payload.to_vec())
                .await;
        }
    });
    let (requester, mut replies) = client(mqtt, std::slice::from_ref(&resp)).await;
    let mut rtt = Vec::with_capacity(n);
    for i in 0..n + n / 10 {
        let start = Instant::now();
        requester
            .publish(&req, QoS::AtLeastOnce, false, vec![b'x'; 100])
            .await
            .unwrap();
        replies.recv().await.unwrap();
        if i >= n / 10 {
            rtt.push(start.elapsed());
        }
    }
    rtt
}

type Answers = mpsc::UnboundedReceiver<(String, bytes::Bytes)>;

/// The pace of the paced mode, and how many it measures by default.
const PACE: Duration = Duration::from_millis(50);
const PACED: usize = 200;

/// [`broker_round_trips`], one every [`PACE`].
async fn broker_round_trips_paced(mqtt: SocketAddr, n: usize) -> Vec<Duration> {
    let echo = format!("gasq/{STATION}/bench/paced");
    let (client, mut echoes) = client(mqtt, std::slice::from_ref(&echo)).await;
    let mut rtt = Vec::with_capacity(n);
    for _ in 0..n {
        tokio::time::sleep(PACE).await;
        let start = Instant::now();
        client
            .publish(&echo, QoS::AtLeastOnce, false, vec![b'x'; 100])
            .await
            .unwrap();
        echoes.recv().await.unwrap();
        rtt.push(start.elapsed());
    }
    rtt
}

/// [`sequential_scans`], one every [`PACE`], each served before the next.
async fn sequential_scans_paced(
    scanner: &AsyncClient,
    answers: &mut Answers,
    n: usize,
) -> Vec<Duration> {
    let scan = format!("gasq/{STATION}/lane/1/scan");
    let mut latency = Vec::with_capacity(n);
    for _ in 0..n {
        let text = tokens::valid().text;
        tokio::time::sleep(PACE).await;
        let start = Instant::now();
        scanner
            .publish(&scan, QoS::AtLeastOnce, false, text)
            .await
            .unwrap();
        let (_, payload) = answers.recv().await.unwrap();
        latency.push(start.elapsed());
        let verdict: Verdict = serde_json::from_slice(&payload).unwrap();
        assert!(verdict.accepted, "{verdict:?}");
        serve(scanner, &verdict).await;
    }
    latency
}

/// One scan at a time, each a new booking; the first tenth warms up.
async fn sequential_scans(scanner: &AsyncClient, answers: &mut Answers, n: usize) -> Vec<Duration> {
    let scan = format!("gasq/{STATION}/lane/1/scan");
    let toks: Vec<String> = (0..n + n / 10).map(|_| tokens::valid().text).collect();
    let mut latency = Vec::with_capacity(n);
    for (i, text) in toks.iter().enumerate() {
        let start = Instant::now();
        scanner
            .publish(&scan, QoS::AtLeastOnce, false, text.clone())
            .await
            .unwrap();
        let (_, payload) = answers.recv().await.unwrap();
        if i >= n / 10 {
            latency.push(start.elapsed());
        }
        let verdict: Verdict = serde_json::from_slice(&payload).unwrap();
        assert!(verdict.accepted, "{verdict:?}");
        serve(scanner, &verdict).await;
    }
    latency
}

/// Up to WINDOW scans in flight over 4 lanes (a lane keeps a bounded backlog and drops
/// beyond it, by design; this stays inside it).
async fn pipelined_scans(scanner: &AsyncClient, answers: &mut Answers, n: usize) {
    const WINDOW: usize = 128;
    let burst: Vec<String> = (0..n).map(|_| tokens::valid().text).collect();
    let publish = |i: usize| {
        let topic = format!("gasq/{STATION}/lane/{}/scan", 1 + i % 4);
        scanner.publish(topic, QoS::AtLeastOnce, false, burst[i].clone())
    };
    let start = Instant::now();
    let mut sent = 0;
    while sent < WINDOW.min(n) {
        publish(sent).await.unwrap();
        sent += 1;
    }
    for _ in 0..n {
        let (_, payload) = answers.recv().await.unwrap();
        serve(scanner, &serde_json::from_slice(&payload).unwrap()).await;
        if sent < n {
            publish(sent).await.unwrap();
            sent += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{:<32} {:.0} verdicts/s ({n} scans over 4 lanes, {WINDOW} in flight, each committed)",
        "sustained, pipelined",
        n as f64 / secs
    );
}

/// The vehicle drives to its lane and is fuelled, so the queue stays as short as at a
/// real station instead of growing by every scan of the run.
async fn serve(scanner: &AsyncClient, verdict: &Verdict) {
    let (Some(lane), Some(booking)) = (verdict.lane, verdict.booking_id) else {
        return;
    };
    let topic = format!("gasq/{STATION}/lane/{lane}/dispenser");
    for event in ["start", "end"] {
        let body = serde_json::json!({"event": event, "booking_id": booking}).to_string();
        scanner
            .publish(&topic, QoS::AtMostOnce, false, signed_event(&topic, &body))
            .await
            .unwrap();
    }
}

/// A dispenser event signed as a provisioned bridge signs it (`gasq_shared::bussig`).
fn signed_event(topic: &str, json: &str) -> Vec<u8> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    static BOOT: OnceLock<u64> = OnceLock::new();
    let Some((user, password)) = LOGIN.get() else {
        return json.as_bytes().to_vec();
    };
    let boot = *BOOT.get_or_init(|| chrono::Utc::now().timestamp_millis() as u64);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed) + 1;
    let members = format!(r#""by":"{user}","boot":{boot},"seq":{seq}"#);
    let with_session = gasq_shared::bussig::add_members(json.as_bytes(), &members).unwrap();
    let key = gasq_shared::bussig::event_key(password);
    gasq_shared::bussig::sign(&key, gasq_shared::bussig::EVENT, topic, &with_session).unwrap()
}

/// A PNG of 4096×4096 16-bit RGBA, all zero: small on the wire, 128 MiB decoded.
fn bomb() -> Vec<u8> {
    let side = 4096u32;
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, side, side);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Sixteen);
        encoder.set_compression(png::Compression::Best);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; side as usize * 8];
        for _ in 0..side {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    png
}

/// The agent's peak resident memory so far (VmHWM), in MiB.
fn peak_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        / 1024
}

/// 32 bombs, one lane after another, each followed by a scan on the next lane; the
/// scans' verdicts are timed (a bomb's own `malformed` verdict is skipped).
async fn bomb_flood(scanner: &AsyncClient, answers: &mut Answers, pid: u32) {
    let bomb = bomb();
    let before = peak_mib(pid);
    let mut latency = Vec::new();
    for i in 0..32u16 {
        let lane = 1 + i % LANES;
        let frame = format!("gasq/{STATION}/lane/{lane}/frame");
        scanner
            .publish(&frame, QoS::AtLeastOnce, false, bomb.clone())
            .await
            .unwrap();
        for round in 0..4u16 {
            let lane = 1 + (i + round) % LANES;
            let id = format!("bomb-{i}-{round}");
            let scan = serde_json::json!({"id": id, "code": tokens::valid().text}).to_string();
            let start = Instant::now();
            scanner
                .publish(
                    format!("gasq/{STATION}/lane/{lane}/scan"),
                    QoS::AtLeastOnce,
                    false,
                    scan,
                )
                .await
                .unwrap();
            let verdict = loop {
                let (_, payload) = answers.recv().await.unwrap();
                let verdict: Verdict = serde_json::from_slice(&payload).unwrap();
                if verdict.scan_id.as_deref() == Some(id.as_str()) {
                    break verdict;
                }
            };
            latency.push(start.elapsed());
            assert!(verdict.accepted, "{verdict:?}");
            serve(scanner, &verdict).await;
        }
    }
    println!(
        "bomb PNG                         {} KiB on the wire, 128 MiB decoded",
        bomb.len() / 1024
    );
    report("scan→verdict during the flood", latency);
    println!(
        "agent peak memory (VmHWM)        {before} MiB before the flood, {} MiB after",
        peak_mib(pid)
    );
}
