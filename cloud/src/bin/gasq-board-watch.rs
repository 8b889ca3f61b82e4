//! `gasq-board-watch`: many screens on one station's live board.
//!
//! Opens `--watchers` server-sent event streams on `/s/{code}/events` (forecourt TVs,
//! drivers' phones, lane boards), waits until each has its first board, then changes
//! the station `--rounds` times as its admin (a lane out of service, then back) and
//! measures how long each stream takes to show the change. Prints the connections held,
//! first-board and fan-out latency percentiles, and any stream that missed a change.
//!
//! ```text
//! gasq-board-watch --url http://127.0.0.1:8080 --watchers 1000
//! ```
//! Against `gasq-cloud serve --demo` (its station `MUM-0042` and admin); see
//! `scripts/bench-board`.

#[path = "support/http.rs"]
mod http;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use http::Client;

#[derive(Parser, Debug)]
#[command(
    name = "gasq-board-watch",
    about = "Load-test the live station board (SSE)"
)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    #[arg(long, default_value = "MUM-0042")]
    station: String,
    /// The station's id (for its admin's change).
    #[arg(long, default_value_t = 1)]
    station_id: u32,
    #[arg(long, default_value = "admin@demo.gasq.in")]
    login: String,
    #[arg(long, default_value = "demo-admin-pass")]
    password: String,
    /// Streams held open at once.
    #[arg(long, default_value_t = 1000)]
    watchers: usize,
    /// Changes to fan out (each a lane out, or back).
    #[arg(long, default_value_t = 6)]
    rounds: usize,
}

/// A board a stream received: which stream, when, and how many lanes it showed closed.
struct Seen {
    watcher: usize,
    at: Instant,
    lanes_down: usize,
}

/// Holds one stream open and reports every board on it.
async fn watch(
    http: reqwest::Client,
    url: String,
    watcher: usize,
    tx: mpsc::UnboundedSender<Seen>,
) {
    let Ok(mut res) = http.get(&url).send().await else {
        return;
    };
    let mut buf = String::new();
    while let Ok(Some(chunk)) = res.chunk().await {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) else {
                continue;
            };
            let Ok(board) = serde_json::from_str::<Value>(data.trim()) else {
                continue;
            };
            let lanes_down = board["lanes"]
                .as_array()
                .map_or(0, |l| l.iter().filter(|l| l["up"] == false).count());
            let seen = Seen {
                watcher,
                at: Instant::now(),
                lanes_down,
            };
            if tx.send(seen).is_err() {
                return;
            }
        }
    }
}

fn report(name: &str, h: &Histogram<u64>) {
    println!(
        "{name:<26} n={:>5}  p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        h.len(),
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let api = Client::new(&args.url)?;
    let admin = api.login(&args.login, &args.password).await?;
    let stream_url = api.url(&format!("/s/{}/events", args.station));
    // One connection per stream, as separate screens would have.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let opened = Instant::now();
    for w in 0..args.watchers {
        tokio::spawn(watch(http.clone(), stream_url.clone(), w, tx.clone()));
    }
    drop(tx);

    // Every stream's first board.
    let mut first = Histogram::<u64>::new(3)?;
    let mut has_first = vec![false; args.watchers];
    let mut lanes_down = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while first.len() < args.watchers as u64 {
        let seen = tokio::time::timeout_at(deadline.into(), rx.recv())
            .await
            .with_context(|| format!("only {} of {} streams opened", first.len(), args.watchers))?
            .context("every stream closed")?;
        if !has_first[seen.watcher] {
            has_first[seen.watcher] = true;
            lanes_down = seen.lanes_down;
            first.record(seen.at.duration_since(opened).as_micros() as u64)?;
        }
    }
    println!("== {} streams open on {}", args.watchers, stream_url);
    report("open → first board", &first);

    // Each change, fanned out to every stream.
    let mut fanout = Histogram::<u64>::new(3)?;
    let mut missed = 0;
    for round in 0..args.rounds {
        let want = if lanes_down == 0 { 1 } else { 0 };
        let changed = Instant::now();
        let (status, body) = api
            .patch(
                &format!("/api/v1/stations/{}", args.station_id),
                Some(&admin),
                json!({ "lanes_down": want }),
            )
            .await?;
        if status != 200 {
            bail!("changing the station: {status} {body}");
        }
        let mut got = vec![false; args.watchers];
        let mut count = 0;
        let deadline = Instant::now() + Duration::from_secs(30);
        while count < args.watchers {
            let Ok(Some(seen)) = tokio::time::timeout_at(deadline.into(), rx.recv()).await else {
                break;
            };
            if seen.lanes_down == want && !got[seen.watcher] {
                got[seen.watcher] = true;
                count += 1;
                fanout.record(seen.at.duration_since(changed).as_micros() as u64)?;
            }
        }
        missed += args.watchers - count;
        lanes_down = want;
        println!(
            "round {}: {count} of {} streams saw the change",
            round + 1,
            args.watchers
        );
        // Let the streams settle before the next change.
        tokio::time::sleep(Duration::from_millis(500)).await;
        while rx.try_recv().is_ok() {}
    }
    report("change → shown on a stream", &fanout);
    if missed > 0 {
        bail!("{missed} stream updates never arrived");
    }
    Ok(())
}
