//! `gasq-webhooks`: payment webhook handling under load, with duplicates, over HTTP.
//!
//! Against a cloud in test mode (no Razorpay keys) whose master key it is given, it
//! creates a station and drivers, books `--bookings` online bookings (each gets a
//! test-mode order), then delivers for each booking a signed `payment.captured`, the
//! same delivery again (a duplicate, same event id) and an `order.paid` about the same
//! payment (another event id) — shuffled, from `--clients` concurrent clients — and
//! prints deliveries per second and latency percentiles. It then checks every booking:
//! confirmed, with exactly one payment in its ledger.
//!
//! ```text
//! gasq-webhooks --url http://127.0.0.1:8080 --login super@demo.gasq.in \
//!               --password demo-super-pass --master-key "$(cat data/master.key)"
//! ```
//! Run the cloud with the booking and auth limits raised (see `scripts/bench-webhooks`).

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/http.rs"]
mod http;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use chrono::{DurationRound, Utc};
use clap::Parser;
use gasq_cloud::crypto::Crypto;
use gasq_cloud::payments::signature;
use hdrhistogram::Histogram;
use rand::seq::SliceRandom;
use serde_json::json;
use tokio::sync::Mutex;

use fleet::Fleet;
use http::Client;

#[derive(Parser, Debug)]
#[command(
    name = "gasq-webhooks",
    about = "Load-test payment webhook handling over HTTP"
)]
struct Args {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// A super admin's login (creates the test station).
    #[arg(long)]
    login: String,
    #[arg(long)]
    password: String,
    /// The cloud's master key (base64): the test-mode webhook secret derives from it.
    #[arg(long)]
    master_key: String,
    /// Bookings to pay (three deliveries each).
    #[arg(long, default_value_t = 1000)]
    bookings: usize,
    /// Concurrent clients delivering webhooks.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Drivers to register (each with 4 vehicles; a vehicle books once an hour).
    #[arg(long, default_value_t = 16)]
    drivers: usize,
}

/// One webhook delivery: body, signature, event id, and the booking it pays.
struct Delivery {
    body: Vec<u8>,
    signature: String,
    event_id: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let master: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(args.master_key.trim())
        .context("--master-key is base64")?
        .try_into()
        .map_err(|_| anyhow::anyhow!("--master-key is 32 bytes in base64"))?;
    let secret = Crypto::from_master(&master).local_provider_secret("webhook secret");
    let c = Arc::new(Client::new(&args.url)?);
    let admin = c.login(&args.login, &args.password).await?;
    let fleet = Fleet {
        code_prefix: "HOOK",
        name: "Webhook bench",
        lanes: 64,
        drivers: args.drivers,
        vehicles_per_driver: 4,
    };
    let (station, vehicles) = fleet.register(&c, &admin).await?;
    let hours = 6 * 24;
    if args.bookings > vehicles.len() * hours {
        bail!(
            "{} vehicles book at most {} slots: add --drivers",
            vehicles.len(),
            vehicles.len() * hours
        );
    }
    // Book: vehicle v's k-th booking k + 1 hours ahead (one an hour per vehicle).
    let first = Utc::now().duration_trunc(chrono::Duration::hours(1))? + chrono::Duration::hours(1);
    let mut bookings = Vec::new();
    for n in 0..args.bookings {
        let (v, k) = (n % vehicles.len(), n / vehicles.len());
        let d = &vehicles[v];
        let slot = first + chrono::Duration::hours(i64::try_from(k)?);
        let body = json!({"station_id": station, "vehicle_id": d.vehicle, "slot_start": slot,
            "quantity_kg": 6.0, "payment_method": "online"});
        let (status, b) = c.post("/api/v1/bookings", Some(&d.token), body).await?;
        if status != 201 {
            bail!("booking {n}: {status} {b}");
        }
        let order = b["payment"]["order_id"]
            .as_str()
            .context("order")?
            .to_owned();
        let amount = b["payment"]["amount_paise"].as_i64().context("amount")?;
        bookings.push((
            b["id"].as_str().context("id")?.to_owned(),
            d.token.clone(),
            order,
            amount,
        ));
        if n % 100 == 99 {
            eprint!("\rbooked {}/{}", n + 1, args.bookings);
        }
    }
    eprintln!("\rbooked {} online bookings", bookings.len());
    let mut deliveries = Vec::new();
    for (i, (_, _, order, amount)) in bookings.iter().enumerate() {
        let payment = format!("pay_bench{i:08}");
        let entity = json!({"id": payment, "entity": "payment", "amount": amount, "currency": "INR",
            "status": "captured", "order_id": order, "method": "upi", "captured": true});
        for (event, id) in [
            ("payment.captured", "c"),
            ("payment.captured", "c"),
            ("order.paid", "p"),
        ] {
            let body = json!({"entity": "event", "event": event, "contains": ["payment"],
                "payload": {"payment": {"entity": entity}}, "created_at": Utc::now().timestamp()})
            .to_string()
            .into_bytes();
            deliveries.push(Delivery {
                signature: signature::sign(&secret, &body),
                event_id: format!("evt_bench{i:08}{id}"),
                body,
            });
        }
    }
    deliveries.shuffle(&mut rand::thread_rng());
    let deliveries = Arc::new(deliveries);
    let next = Arc::new(AtomicUsize::new(0));
    let latency = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    let failures = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..args.clients {
        let (c, deliveries, next, latency, failures) = (
            c.clone(),
            deliveries.clone(),
            next.clone(),
            latency.clone(),
            failures.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut mine = Histogram::<u64>::new(3).unwrap_or_else(|_| unreachable!());
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(d) = deliveries.get(i) else { break };
                let t = Instant::now();
                let sent = c
                    .http
                    .post(c.url("/api/v1/payments/razorpay/webhook"))
                    .header("content-type", "application/json")
                    .header("x-razorpay-signature", &d.signature)
                    .header("x-razorpay-event-id", &d.event_id)
                    .body(d.body.clone())
                    .send()
                    .await;
                let ok = matches!(&sent, Ok(r) if r.status().is_success());
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                let _ = mine.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
            }
            let _ = latency.lock().await.add(&mine);
        }));
    }
    for client in clients {
        client.await?;
    }
    let elapsed = started.elapsed();
    let h = latency.lock().await;
    let ms = |q: f64| Duration::from_micros(h.value_at_quantile(q)).as_secs_f64() * 1000.0;
    println!(
        "{} deliveries ({} bookings × captured, duplicate, order.paid) in {:.2}s: {:.0} deliveries/s",
        deliveries.len(),
        bookings.len(),
        elapsed.as_secs_f64(),
        deliveries.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms; failed {}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        h.max() as f64 / 1000.0,
        failures.load(Ordering::Relaxed)
    );
    // Every booking confirmed, by exactly one payment.
    let mut wrong = 0;
    for (id, token, _, _) in &bookings {
        let r = c
            .get(&format!("/api/v1/bookings/{id}/receipt"), Some(token))
            .await?;
        let payments = r["ledger"]
            .as_array()
            .map_or(0, |l| l.iter().filter(|e| e["kind"] == "payment").count());
        if r["status"] != "confirmed" || payments != 1 {
            wrong += 1;
            eprintln!("booking {id}: {} with {payments} payments", r["status"]);
        }
    }
    println!(
        "checked {} bookings: {wrong} not confirmed exactly once",
        bookings.len()
    );
    if wrong > 0 {
        bail!("{wrong} bookings were not confirmed exactly once");
    }
    Ok(())
}
