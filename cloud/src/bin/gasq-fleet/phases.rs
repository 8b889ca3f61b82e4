//! The measured phases: bookings cancelled while every edge holds a pull (delivery of
//! each cancellation to its edge), and events pushed by many edges (ingest rate, and the
//! stations' dashboards counting each event once).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::edge::{Edge, Fleet};
use crate::http::Client;
use crate::setup::Driver;

/// A cancellation not delivered within this is counted as missed.
const PATIENCE: Duration = Duration::from_secs(10);

pub struct Booked {
    pub pairs: usize,
    pub refused: usize,
    pub missed: usize,
    pub elapsed: Duration,
    /// Microseconds from sending a cancel to its edge's pull answering with it.
    pub delivery: Histogram<u64>,
}

/// Microseconds from 1 µs to a minute, 3 significant figures.
fn histogram() -> Histogram<u64> {
    #[allow(clippy::expect_used)] // constant bounds that hdrhistogram accepts
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Each driver books a slot at the next station of the fleet and cancels it at once,
/// then waits for the cancellation to reach that station's edge, for `secs`.
pub async fn book_and_cancel(
    fleet: &Arc<Fleet>,
    edges: &[Arc<Edge>],
    drivers: &[Driver],
    secs: u64,
) -> Booked {
    let next = Arc::new(AtomicUsize::new(0));
    let delivery = Arc::new(Mutex::new(histogram()));
    let (refused, missed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let slot = Utc::now()
        .duration_trunc(chrono::Duration::minutes(15))
        .unwrap_or_else(|_| Utc::now())
        + chrono::Duration::hours(2);
    let mut clients = Vec::new();
    for driver in drivers {
        let (fleet, next, delivery) = (fleet.clone(), next.clone(), delivery.clone());
        let (refused, missed) = (refused.clone(), missed.clone());
        let stations: Vec<u64> = edges.iter().map(|e| e.station).collect();
        let (token, vehicle) = (driver.token.clone(), driver.vehicle.clone());
        clients.push(tokio::spawn(async move {
            while Instant::now() < until {
                let station = stations[next.fetch_add(1, Ordering::Relaxed) % stations.len()];
                let body = json!({"station_id": station, "vehicle_id": vehicle, "slot_start": slot, "payment_method": "at_station"});
                let Ok((201, booking)) = fleet.client.post("/api/v1/bookings", Some(&token), body).await else {
                    refused.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let id = booking["id"].as_str().unwrap_or_default().to_owned();
                let arrived = fleet.waiters.expect(&id);
                let sent = Instant::now();
                let path = format!("/api/v1/bookings/{id}/cancel");
                let _ = fleet.client.post(&path, Some(&token), json!({})).await;
                match tokio::time::timeout(PATIENCE, arrived).await {
                    Ok(Ok(at)) => {
                        let micros = at.saturating_duration_since(sent).as_micros();
                        delivery.lock().await.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX));
                    }
                    _ => {
                        missed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for c in clients {
        let _ = c.await;
    }
    let delivery = delivery.lock().await.clone();
    Booked {
        pairs: delivery.len() as usize + missed.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        missed: missed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        delivery,
    }
}

pub struct Pushed {
    pub acked: usize,
    pub unique: usize,
    pub errors: usize,
    pub elapsed: Duration,
    /// Microseconds per batch.
    pub latency: Histogram<u64>,
}

/// A batch of `n` refused-scan events (the dashboard counts them per station and day).
fn batch(n: usize, seq: &mut i64) -> Vec<Value> {
    (0..n)
        .map(|_| {
            *seq += 1;
            json!({"id": uuid::Uuid::now_v7(), "seq": *seq, "at": Utc::now(),
                   "kind": "rejected", "reason": "malformed", "lane": 1})
        })
        .collect()
}

/// Each of `pushers` pushes batches as fast as the cloud takes them for `secs`, then
/// sends its first batch again (which must not count twice).
pub async fn push_events(
    fleet: &Arc<Fleet>,
    pushers: &[Arc<Edge>],
    size: usize,
    secs: u64,
) -> Pushed {
    let latency = Arc::new(Mutex::new(histogram()));
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for edge in pushers {
        let (edge, fleet, latency) = (edge.clone(), fleet.clone(), latency.clone());
        tasks.push(tokio::spawn(async move {
            let (mut seq, mut acked, mut unique, mut errors) = (0, 0, 0, 0);
            let first = batch(size, &mut seq);
            let mut next = first.clone();
            while Instant::now() < until {
                let t0 = Instant::now();
                match edge.push(&fleet.client, &next).await {
                    Ok(n) => {
                        acked += n;
                        unique += next.len();
                        let micros = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                        latency.lock().await.saturating_record(micros);
                        next = batch(size, &mut seq);
                    }
                    Err(_) => errors += 1,
                }
            }
            if edge.push(&fleet.client, &first).await.is_err() {
                errors += 1;
            }
            (acked, unique, errors)
        }));
    }
    let (mut acked, mut unique, mut errors) = (0, 0, 0);
    for t in tasks {
        if let Ok((a, u, e)) = t.await {
            (acked, unique, errors) = (acked + a, unique + u, errors + e);
        }
    }
    let elapsed = started.elapsed();
    let latency = latency.lock().await.clone();
    Pushed {
        acked,
        unique,
        errors,
        elapsed,
        latency,
    }
}

/// The refused scans today's dashboards of the pushers' stations count, together.
pub async fn counted(c: &Client, admin: &str, pushers: &[Arc<Edge>]) -> anyhow::Result<usize> {
    let mut total = 0;
    for edge in pushers {
        let board = c
            .get(
                &format!("/api/v1/stations/{}/dashboard", edge.station),
                Some(admin),
            )
            .await?;
        total += board["today"]["rejected_scans"].as_u64().unwrap_or(0) as usize;
    }
    Ok(total)
}
