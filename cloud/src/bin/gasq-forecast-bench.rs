//! `gasq-forecast-bench`: how long the demand forecast takes (docs/benchmarks.md,
//! "Cloud: the demand forecast").
//!
//! On one thread, with the model as the cloud loads it: one station-day (24 hours:
//! features, then the model), many times over, with percentiles; and a week for 1,000
//! stations (168,000 hours, one station at a time). With `--url`, also over HTTP against
//! a running cloud: `GET /api/v1/stations/{id}/forecast` beside the booking API's
//! `GET …/slots` of the same station (whose capacity and rush levels now run the
//! forecast too), one request after another, with percentiles.
//!
//! ```text
//! gasq-forecast-bench [--url http://127.0.0.1:8080 --station 1]
//! ```

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
    /// A running cloud to time the forecast and slots endpoints of.
    #[arg(long)]
    url: Option<String>,
    #[arg(long, default_value_t = 1)]
    station: u32,
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

    if let Some(url) = args.url {
        let client = http::Client::new(&url)?;
        for (name, path) in [
            (
                "forecast",
                format!("/api/v1/stations/{}/forecast", args.station),
            ),
            (
                "slots (booking API)",
                format!("/api/v1/stations/{}/slots", args.station),
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
            println!(
                "GET {path} [{name}]: p50 {}  p99 {}  max {}  ({} sequential requests)",
                micros(&h, 0.5),
                micros(&h, 0.99),
                micros(&h, 1.0),
                args.requests
            );
        }
    }
    Ok(())
}
