//! Setting the fleet up through the public API, as a super admin and technicians would:
//! one station per edge, an enrollment code for each, each box enrolled with its own key;
//! and drivers with a vehicle each for the booking clients.

use std::sync::Arc;

use anyhow::{Context, bail};
use futures::StreamExt as _;
use serde_json::json;

use crate::edge::Edge;
use crate::http::Client;

/// How many setup requests run at once.
const PARALLEL: usize = 32;

/// Makes `n` stations and enrolls one edge at each; shows progress on stderr.
pub async fn edges(c: &Client, admin: &str, n: usize, tag: i64) -> anyhow::Result<Vec<Arc<Edge>>> {
    let mut done = 0;
    let mut edges = Vec::with_capacity(n);
    let mut enrolling = futures::stream::iter(0..n)
        .map(|i| one_edge(c, admin, tag, i))
        .buffer_unordered(PARALLEL);
    while let Some(edge) = enrolling.next().await {
        edges.push(Arc::new(edge?));
        done += 1;
        if done % 50 == 0 || done == n {
            eprint!("\rstations made and edges enrolled: {done}/{n}");
        }
    }
    eprintln!();
    Ok(edges)
}

async fn one_edge(c: &Client, admin: &str, tag: i64, i: usize) -> anyhow::Result<Edge> {
    let code = format!("F{tag:04}-{i:05}");
    let body =
        json!({"code": code, "name": format!("Fleet {i}"), "lat": 19.0, "lon": 72.8, "lanes": 4});
    let (status, station) = c.post("/api/v1/stations", Some(admin), body).await?;
    if status != 201 {
        bail!("create station {code}: {status} {station}");
    }
    let station = station["id"].as_u64().context("station id")?;
    let path = format!("/api/v1/stations/{station}/enrollment-codes");
    let (status, one_time) = c.post(&path, Some(admin), json!({})).await?;
    if status != 201 {
        bail!("enrollment code for {code}: {status} {one_time}");
    }
    let (key, public) = Edge::key();
    let body = json!({"code": one_time["code"], "public_key": public, "hostname": format!("fleet-{i}"), "version": "gasq-fleet"});
    let (status, enrolled) = c.post("/api/v1/edge/enroll", None, body).await?;
    if status != 200 {
        bail!("enroll at {code}: {status} {enrolled}");
    }
    let device = enrolled["device_id"].as_str().context("device id")?;
    Edge::new(device.to_owned(), station, &key)
}

/// A driver's access token and vehicle.
pub struct Driver {
    pub token: String,
    pub vehicle: String,
}

/// Registers `n` drivers with a vehicle each.
pub async fn drivers(c: &Client, n: usize, tag: i64) -> anyhow::Result<Vec<Driver>> {
    let mut drivers = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("fleet{tag}-{i}@example.in");
        let phone = format!("6{:09}", (tag as u64 * 10_000 + i as u64) % 1_000_000_000);
        let body = json!({"name": format!("Fleet driver {i}"), "email": email, "phone": phone, "password": "fleet-test-pass"});
        let (status, answer) = c.post("/api/v1/auth/register", None, body).await?;
        if status != 201 {
            bail!("register driver {i}: {status} {answer}");
        }
        let token = c.login(&email, "fleet-test-pass").await?;
        let registration = json!({"registration": format!("MH02FL{i:04}")});
        let (status, v) = c
            .post("/api/v1/vehicles", Some(&token), registration)
            .await?;
        if status != 201 {
            bail!("vehicle of driver {i}: {status} {v}");
        }
        let vehicle = v["id"].as_str().context("vehicle id")?.to_owned();
        drivers.push(Driver { token, vehicle });
    }
    Ok(drivers)
}
