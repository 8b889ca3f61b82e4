//! `gasq-forecast-bench`: how long the demand forecast takes (docs/benchmarks.md,
//! "Cloud: the demand forecast").
//!
//! On one thread, with the model as the cloud loads it: one station-day (24 hours:
//! features, then the model), many times over, with percentiles; and a week for 1,000
//! stations (168,000 hours, one station at a time). With `--url`, also over HTTP against
//! a running cloud, on a fresh station it creates (as the super admin `--login`): `GET
//! /api/v1/stations/{id}/forecast` beside the booking API's own calls on the same station
//! — `GET …/slots` (whose capacity and rush levels run the forecast too) and `POST
//! /api/v1/bookings` (which sizes a fresh slot from it) — one request after another, with
//! percentiles.
//!
//! ```text
//! gasq-forecast-bench [--url http://127.0.0.1:8080]
//! ```

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/http.rs"]
#[allow(dead_code)] // the shared client's other calls serve the other load tools
mod http;

use std::time::Instant;

use chrono::{NaiveDate, NaiveDateTime};
use clap::Parser;
use gasq_cloud::forecast::{DemandModel, FEATURES, HourInput};
use hdrhistogram::Histogram;

#[derive(Parser, Debug)]
#[command(name = "gasq-forecast-bench", about = "Time the demand forecast")]
struct Args {
    /// A running cloud to time the forecast and booking endpoints of.
    #[arg(long)]
    url: Option<String>,
    /// A super admin of that cloud (creates the benchmark's station).
    #[arg(long, default_value = "super@demo.gasq.in")]
    login: String,
    #[arg(long, default_value = "demo-super-pass")]
    password: String,
    /// Drivers to register; each makes 4 timed bookings (the most a driver may hold).
    #[arg(long, default_value_t = 50)]
    drivers: usize,
    /// Station-days to time (model only).
    #[arg(long, default_value_t = 5_000)]
    days: u32,
    /// Requests per endpoint over HTTP.
    #[arg(long, default_value_t = 500)]
    requests: u32,
}

fn micros(h: &Histogram<u64>, q: f64) -> String {
    format!("{:.0} µs", h.value_at_quantile(q) as f64)
}

fn hours(start: NaiveDateTime, n: usize) -> Vec<[f32; FEATURES]> {
    (0..n)
        .map(|h| {
            let local = start + chrono::Duration::hours(i64::try_from(h).unwrap_or(0));
            HourInput::assumed(local).features()
        })
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let model = DemandModel::load(None)?;
    let monday = NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| anyhow::anyhow!("a fixed date"))?;

    // One station-day, as the forecast endpoint computes it (features + model).
    let mut day = Histogram::<u64>::new(3)?;
    for _ in 0..50 {
        model.shapes(&hours(monday, 24))?; // warm-up
    }
    for d in 0..args.days {
        let start = monday + chrono::Duration::days(i64::from(d % 7));
        let t = Instant::now();
        let shapes = model.shapes(&hours(start, 24))?;
        std::hint::black_box(shapes);
        day.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))?;
    }
    println!(
        "one station-day (24 h), model only: p50 {}  p99 {}  max {}  ({} runs, one thread)",
        micros(&day, 0.5),
        micros(&day, 0.99),
        micros(&day, 1.0),
        args.days
    );

    // A week for 1,000 stations, one station at a time.
    let t = Instant::now();
    let mut total = 0.0f64;
    for s in 0..1_000 {
        let start = monday + chrono::Duration::hours(s % 24);
        total += model
            .shapes(&hours(start, 168))?
            .iter()
            .map(|x| f64::from(*x))
            .sum::<f64>();
    }
    std::hint::black_box(total);
    println!(
        "a week for 1,000 stations (168,000 h): {:.0} ms on one thread (target ≤ 200 ms)",
        t.elapsed().as_secs_f64() * 1000.0
    );

    if let Some(url) = &args.url {
        over_http(&args, url).await?;
    }
    Ok(())
}

fn line(what: &str, h: &Histogram<u64>, requests: u64) {
    println!(
        "{what}: p50 {}  p99 {}  max {}  ({requests} sequential requests)",
        micros(h, 0.5),
        micros(h, 0.99),
        micros(h, 1.0),
    );
}

/// The forecast beside the booking API's read and write, on a fresh station.
async fn over_http(args: &Args, url: &str) -> anyhow::Result<()> {
    let client = http::Client::new(url)?;
    let admin = client.login(&args.login, &args.password).await?;
    let fleet = fleet::Fleet {
        code_prefix: "FCB",
        name: "Forecast bench",
        lanes: 8,
        drivers: args.drivers,
        vehicles_per_driver: 1,
    };
    let (station, drivers) = fleet.register(&client, &admin).await?;
    for (name, path) in [
        ("forecast", format!("/api/v1/stations/{station}/forecast")),
        (
            "slots (booking API)",
            format!("/api/v1/stations/{station}/slots"),
        ),
    ] {
        let mut h = Histogram::<u64>::new(3)?;
        for _ in 0..20 {
            client.get(&path, None).await?;
        }
        for _ in 0..args.requests {
            let t = Instant::now();
            client.get(&path, None).await?;
            h.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))?;
        }
        line(
            &format!("GET {path} [{name}]"),
            &h,
            u64::from(args.requests),
        );
    }

    // Tomorrow's slots from 06:00: driver i's k-th booking is slot 5k + i mod 5 (75
    // minutes between a vehicle's bookings; a fifth of the drivers per slot).
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    let slots = client
        .get(
            &format!("/api/v1/stations/{station}/slots?date={tomorrow}"),
            None,
        )
        .await?;
    let starts: Vec<String> = slots
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["start"].as_str().map(str::to_owned))
        .skip(24) // from 06:00
        .collect();
    let mut h = Histogram::<u64>::new(3)?;
    let (mut made, mut refused) = (0u64, 0u64);
    for k in 0..4 {
        for (i, d) in drivers.iter().enumerate() {
            let Some(start) = starts.get(5 * k + i % 5) else {
                anyhow::bail!("the station has too few slots tomorrow");
            };
            let body = serde_json::json!({"station_id": station, "vehicle_id": d.vehicle,
                "slot_start": start, "payment_method": "at_station"});
            let t = Instant::now();
            let (status, _) = client
                .post("/api/v1/bookings", Some(&d.token), body)
                .await?;
            h.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))?;
            if status == 201 {
                made += 1;
            } else {
                refused += 1;
            }
        }
    }
    line(
        &format!("POST /api/v1/bookings [booking API; {made} made, {refused} refused]"),
        &h,
        made + refused,
    );
    Ok(())
}
