//! `gasq-fleet`: a fleet of simulated edge boxes against one cloud, measured from
//! outside (docs/benchmarks.md, "Cloud: a fleet of edges").
//!
//! It makes one station per edge and enrolls each box with its own device key (through
//! the public API), then keeps every box holding a pull (`wait=25`, as `gasq-edge` does)
//! and measures, while they are all held:
//! 1. bookings and cancellations by `--clients` drivers at the fleet's stations: booking
//!    throughput, and how long each cancellation takes to reach its station's edge
//!    (from sending the cancel to the held pull answering with the revocation);
//! 2. events pushed by `--pushers` edges in batches of `--batch`: events ingested per
//!    second, then every first batch sent again, and the stations' dashboards checked to
//!    count each event exactly once;
//! 3. the cloud process's memory and CPU at each step (`--cloud-pid`).
//!
//! ```text
//! gasq-fleet --url http://127.0.0.1:8080 --login super@demo.gasq.in --password demo-super-pass \
//!            --edges 2000 --cloud-pid $(pgrep gasq-cloud)
//! ```
//! `scripts/bench-fleet` runs it against a release cloud on PostgreSQL.

mod edge;
#[path = "../support/http.rs"]
mod http;
mod measure;
mod phases;
mod setup;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use tokio_util::sync::CancellationToken;

use edge::{Fleet, Waiters};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "gasq-fleet",
    about = "Measure one cloud against a fleet of edge boxes"
)]
pub struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// A super admin's login (makes the stations and enrollment codes).
    #[arg(long)]
    login: String,
    #[arg(long)]
    password: String,
    /// Edge boxes, one per station.
    #[arg(long, default_value_t = 2000)]
    edges: usize,
    /// Concurrent drivers booking and cancelling.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Edges pushing events at once.
    #[arg(long, default_value_t = 32)]
    pushers: usize,
    /// Events per pushed batch.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// Seconds of each measured phase.
    #[arg(long, default_value_t = 20)]
    secs: u64,
    /// The cloud's process id, to report its memory and CPU.
    #[arg(long)]
    cloud_pid: Option<u32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let fleet = Arc::new(Fleet {
        client: http::Client::new(&args.url)?,
        waiters: Waiters::default(),
        connected: AtomicUsize::new(0),
        errors: AtomicUsize::new(0),
    });
    let c = &fleet.client;
    let admin = c.login(&args.login, &args.password).await?;
    let tag = chrono::Utc::now().timestamp() % 10_000;
    let before = measure::sample(args.cloud_pid);
    let edges = setup::edges(c, &admin, args.edges, tag).await?;
    let drivers = setup::drivers(c, args.clients, tag).await?;

    let stop = CancellationToken::new();
    for e in &edges {
        tokio::spawn(edge::hold(e.clone(), fleet.clone(), stop.clone()));
    }
    let connecting = measure::sample(args.cloud_pid);
    connect_all(&fleet, edges.len()).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let held = measure::sample(args.cloud_pid);
    println!(
        "== {} edges holding pulls: {} (before the fleet: {})",
        edges.len(),
        measure::between(connecting, held),
        measure::between(before, before)
    );

    let t = measure::sample(args.cloud_pid);
    let booked = phases::book_and_cancel(&fleet, &edges, &drivers, args.secs).await;
    println!(
        "== bookings with every edge held: {:.0} bookings/s (each cancelled at once), {}",
        booked.pairs as f64 / booked.elapsed.as_secs_f64(),
        measure::between(t, measure::sample(args.cloud_pid))
    );
    println!(
        "   cancellation reaching its edge: {}; missed {}, refused bookings {}",
        measure::percentiles(&booked.delivery),
        booked.missed,
        booked.refused
    );

    let t = measure::sample(args.cloud_pid);
    let pushers = &edges[..args.pushers.min(edges.len())];
    let pushed = phases::push_events(&fleet, pushers, args.batch, args.secs).await;
    println!(
        "== events from {} edges in batches of {}: {:.0} events/s ingested, batch {}; {}",
        pushers.len(),
        args.batch,
        pushed.acked as f64 / pushed.elapsed.as_secs_f64(),
        measure::percentiles(&pushed.latency),
        measure::between(t, measure::sample(args.cloud_pid))
    );
    let counted = phases::counted(c, &admin, pushers).await?;
    println!(
        "   sent {} events (and every first batch twice); the dashboards count {counted}: {}",
        pushed.unique,
        if counted == pushed.unique {
            "exactly once"
        } else {
            "MISMATCH"
        }
    );
    stop.cancel();
    let errors = fleet.errors.load(Ordering::Relaxed) + pushed.errors;
    println!("== errors: {errors} (pull or push requests that failed)");
    if counted != pushed.unique || booked.missed > 0 {
        bail!("events not counted exactly once, or cancellations that never arrived");
    }
    Ok(())
}

/// Waits until every edge has made its first pull (and holds the next).
async fn connect_all(fleet: &Fleet, n: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let connected = fleet.connected.load(Ordering::Relaxed);
        eprint!("\redges connected: {connected}/{n}");
        if connected >= n {
            eprintln!(" in {:.1} s", started.elapsed().as_secs_f64());
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("only {connected} of {n} edges connected in 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
