//! `gasq-load`: drives booking creation over HTTP and prints throughput and latency.
//!
//! It logs in as a super admin, creates a fresh station, registers `--drivers`
//! drivers with `--vehicles-per-driver` vehicles each, then lets `--clients` concurrent
//! clients book slots across the next days (closed loop, or paced to `--rate`
//! bookings/s). Each vehicle books one slot an hour (one tank holds one live booking
//! within 60 minutes), vehicles spread over the hours. At the end it reads every slot
//! back and checks that none holds more bookings than its capacity.
//!
//! ```text
//! gasq-load --url http://127.0.0.1:8080 --login super@demo.gasq.in --password demo-super-pass \
//!           --clients 32 --duration 30
//! ```
//! Run the cloud with `GASQ_RATE_LIMITS__AUTH_REQUESTS_PER_IP_PER_MINUTE=100000` so
//! registering the drivers is not throttled, and with
//! `GASQ_BOOKINGS__MAX_LIVE_PER_DRIVER=1000000 GASQ_BOOKINGS__MAX_PER_DRIVER_PER_HOUR=1000000`
//! so a handful of drivers can book thousands of slots (under the default limits each
//! driver stops at 4 live bookings, and the rest count as `booking_limit`).

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/http.rs"]
mod http;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, DurationRound, Utc};
use clap::Parser;
use hdrhistogram::Histogram;
use serde_json::json;
use tokio::sync::Mutex;

use fleet::{Driver, Fleet};
use http::Client;

#[derive(Parser, Debug, Clone)]
#[command(name = "gasq-load", about = "Load-test booking creation over HTTP")]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// A super admin's login (creates the test station).
    #[arg(long)]
    login: String,
    #[arg(long)]
    password: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Drivers to register (clients share their vehicles round-robin).
    #[arg(long, default_value_t = 64)]
    drivers: usize,
    /// Vehicles each driver registers.
    #[arg(long, default_value_t = 4)]
    vehicles_per_driver: usize,
    /// Seconds of booking.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Seconds of unmeasured warm-up before the measured `--duration`.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Target bookings per second over all clients (0 = as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Lanes of the test station (capacity per slot = lanes × 15 / 4).
    #[arg(long, default_value_t = 8)]
    lanes: u16,
}

async fn setup(c: &Client, args: &Args) -> anyhow::Result<(u64, Vec<Driver>)> {
    let admin = c.login(&args.login, &args.password).await?;
    let fleet = Fleet {
        code_prefix: "LOAD",
        name: "Load test",
        lanes: args.lanes,
        drivers: args.drivers,
        vehicles_per_driver: args.vehicles_per_driver,
    };
    fleet.register(c, &admin).await
}

#[derive(Default)]
struct Counts {
    created: AtomicU64,
    full: AtomicU64,
    /// Refused by a booking limit (`booking_limit`).
    limited: AtomicU64,
    errors: AtomicU64,
    /// Bookings this run made per slot, to check against the slot's capacity.
    per_slot: std::sync::Mutex<std::collections::HashMap<DateTime<Utc>, u32>>,
}

/// When and what the clients book: one shared schedule.
struct Plan {
    station: u64,
    /// Every vehicle, with its driver.
    drivers: Vec<Driver>,
    /// The first slot booked; request `n` books [`slot_of`] after it.
    first: DateTime<Utc>,
    /// The run's start; measuring starts after the warm-up, at `started`.
    begun: Instant,
    started: Instant,
    until: Instant,
    /// With `--rate`: the gap between requests of the open schedule.
    spacing: Option<Duration>,
}

/// Six days of 15-minute slots.
const SLOTS: u64 = 6 * 24 * 4;
const HOURS: u64 = SLOTS / 4;

/// Request `n`'s vehicle and slot (counted from the first). Vehicles take turns; a
/// vehicle's `k`-th booking is in hour `k + v` (so vehicles spread over the hours), at
/// quarter `v % 4` of it — one slot an hour per vehicle, never two within 60 minutes,
/// until its hours run out after [`HOURS`] bookings.
fn slot_of(n: u64, vehicles: u64) -> (usize, u64) {
    let (v, k) = (n % vehicles, n / vehicles);
    let slot = ((k + v) % HOURS) * 4 + v % 4;
    (usize::try_from(v).unwrap_or(0), slot)
}

/// What the clients measured.
struct Measured {
    latency: Mutex<Histogram<u64>>,
    counts: Counts,
    next: AtomicU64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let c = Arc::new(Client::new(&args.url)?);
    let (station, drivers) = setup(&c, &args).await?;
    // A warm-up (connections, caches, first slot rows) that is not measured.
    let begun = Instant::now();
    let started = begun + Duration::from_secs(args.warmup);
    let plan = Arc::new(Plan {
        station,
        drivers,
        first: Utc::now().duration_trunc(chrono::Duration::minutes(15))?
            + chrono::Duration::hours(1),
        begun,
        started,
        until: started + Duration::from_secs(args.duration),
        // With --rate, requests follow one open schedule (request n is due at n / rate)
        // that the clients share; latency counts from when a request was due, so a
        // client stuck behind a slow answer shows up as latency instead of hiding it.
        spacing: (args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate)),
    });
    let measured = Arc::new(Measured {
        latency: Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?),
        counts: Counts::default(),
        next: AtomicU64::new(0),
    });
    let tasks: Vec<_> = (0..args.clients)
        .map(|_| tokio::spawn(client(c.clone(), plan.clone(), measured.clone())))
        .collect();
    for t in tasks {
        t.await?;
    }
    report(&args, &plan, &measured).await;
    let over = over_booked(&c, &plan, &measured.counts).await?;
    println!("over-booked slots: {over}");
    if measured.counts.errors.load(Ordering::Relaxed) > 0 || over > 0 {
        bail!("errors or over-booking during the run");
    }
    Ok(())
}

/// One client: books the schedule's next request until the run ends.
async fn client(c: Arc<Client>, plan: Arc<Plan>, m: Arc<Measured>) {
    loop {
        let n = m.next.fetch_add(1, Ordering::Relaxed);
        let due = plan.spacing.map(|gap| plan.begun + gap.mul_f64(n as f64));
        if let Some(due) = due {
            tokio::time::sleep_until(due.into()).await;
        }
        let t0 = due.unwrap_or_else(Instant::now);
        if t0 >= plan.until {
            break;
        }
        let (v, slot) = slot_of(n, plan.drivers.len() as u64);
        let d = &plan.drivers[v];
        let slot = plan.first + chrono::Duration::minutes(15 * slot as i64);
        let body = json!({"station_id": plan.station, "vehicle_id": d.vehicle, "slot_start": slot, "payment_method": "at_station"});
        let result = c.post("/api/v1/bookings", Some(&d.token), body).await;
        let measured = t0 >= plan.started;
        if measured {
            let micros = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
            m.latency.lock().await.saturating_record(micros);
        }
        // Every booking counts for the over-booking check; errors count always.
        let counts = &m.counts;
        let counter = match result {
            Ok((201, _)) => {
                *counts
                    .per_slot
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(slot)
                    .or_default() += 1;
                measured.then_some(&counts.created)
            }
            Ok((409, body)) if body["code"] == "booking_limit" => {
                measured.then_some(&counts.limited)
            }
            Ok((409, _)) => measured.then_some(&counts.full),
            _ => Some(&counts.errors),
        };
        if let Some(counter) = counter {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Prints throughput and latency percentiles of the measured part of the run.
async fn report(args: &Args, plan: &Plan, m: &Measured) {
    let secs = plan
        .until
        .saturating_duration_since(plan.started)
        .as_secs_f64();
    let h = m.latency.lock().await;
    let created = m.counts.created.load(Ordering::Relaxed);
    println!(
        "clients {}  duration {secs:.1}s  requests {}",
        args.clients,
        h.len()
    );
    println!(
        "created {created}  slot_full {}  booking_limit {}  errors {}  bookings/s {:.0}",
        m.counts.full.load(Ordering::Relaxed),
        m.counts.limited.load(Ordering::Relaxed),
        m.counts.errors.load(Ordering::Relaxed),
        created as f64 / secs
    );
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "latency ms  p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
}

/// Invariant 1 (docs/architecture.md), from the outside: how many slots got more
/// bookings this run than their capacity.
async fn over_booked(c: &Client, plan: &Plan, counts: &Counts) -> anyhow::Result<u32> {
    let per_slot = std::mem::take(&mut *counts.per_slot.lock().unwrap_or_else(|p| p.into_inner()));
    let mut over = 0;
    let mut day = plan
        .first
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .date_naive();
    for _ in 0..7 {
        let slots = c
            .get(
                &format!("/api/v1/stations/{}/slots?date={day}", plan.station),
                None,
            )
            .await?;
        for s in slots.as_array().into_iter().flatten() {
            let start: Option<DateTime<Utc>> = s["start"].as_str().and_then(|t| t.parse().ok());
            let capacity = s["capacity"].as_u64().unwrap_or(0);
            if start
                .and_then(|t| per_slot.get(&t))
                .is_some_and(|made| u64::from(*made) > capacity)
            {
                over += 1;
            }
        }
        day = day.succ_opt().context("date")?;
    }
    Ok(over)
}
