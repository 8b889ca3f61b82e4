//! One simulated edge box: its device key and JWTs, the held pull it keeps open (as
//! `gasq-edge` does), and pushes of event batches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use gasq_shared::sync::{DEVICE_JWT_AUDIENCE, DeviceClaims};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::http::Client;

/// How long the cloud may hold a pull (what `gasq-edge` asks by default).
const WAIT_SECS: u64 = 25;

pub struct Edge {
    pub id: String,
    pub station: u64,
    key: EncodingKey,
    /// The current JWT and when to make a new one (they live 300 s).
    jwt: Mutex<(String, Instant)>,
}

impl Edge {
    /// A new device key, and the public half to enroll with.
    pub fn key() -> (SigningKey, String) {
        use base64::Engine as _;
        let key = SigningKey::from_bytes(&rand::random());
        let public =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        (key, public)
    }

    pub fn new(id: String, station: u64, key: &SigningKey) -> anyhow::Result<Self> {
        let der = key.to_pkcs8_der()?;
        Ok(Self {
            id,
            station,
            key: EncodingKey::from_ed_der(der.as_bytes()),
            jwt: Mutex::new((String::new(), Instant::now())),
        })
    }

    fn jwt(&self) -> anyhow::Result<String> {
        let mut cached = self.jwt.lock().unwrap_or_else(|p| p.into_inner());
        if cached.0.is_empty() || Instant::now() >= cached.1 {
            let now = chrono::Utc::now().timestamp();
            let claims = DeviceClaims {
                sub: self.id.clone(),
                aud: DEVICE_JWT_AUDIENCE.into(),
                iat: now,
                exp: now + 300,
            };
            let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.key)?;
            *cached = (token, Instant::now() + Duration::from_secs(240));
        }
        Ok(cached.0.clone())
    }

    async fn pull(&self, c: &Client, since: i64, wait: u64) -> anyhow::Result<Value> {
        let url = c.url(&format!("/api/v1/edge/changes?since={since}&wait={wait}"));
        let res = c.http.get(url).bearer_auth(self.jwt()?).send().await?;
        if !res.status().is_success() {
            bail!("pull: {}", res.status());
        }
        Ok(res.json().await?)
    }

    /// Pushes `events`; returns how many the cloud acked.
    pub async fn push(&self, c: &Client, events: &[Value]) -> anyhow::Result<usize> {
        let res = c
            .http
            .post(c.url("/api/v1/edge/events"))
            .bearer_auth(self.jwt()?)
            .json(&json!({ "events": events }))
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("push: {}", res.status());
        }
        let answer: Value = res.json().await?;
        Ok(answer["acked"].as_array().map_or(0, Vec::len))
    }
}

/// Bookings whose revocation someone waits for, by booking id: when it was cancelled.
#[derive(Default)]
pub struct Waiters {
    waiting: Mutex<HashMap<String, tokio::sync::oneshot::Sender<Instant>>>,
}

impl Waiters {
    pub fn expect(&self, booking: &str) -> tokio::sync::oneshot::Receiver<Instant> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.lock().insert(booking.to_owned(), tx);
        rx
    }

    fn arrived(&self, booking: &str) {
        if let Some(tx) = self.lock().remove(booking) {
            let _ = tx.send(Instant::now());
        }
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, tokio::sync::oneshot::Sender<Instant>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the fleet's held pulls share.
pub struct Fleet {
    pub client: Client,
    pub waiters: Waiters,
    /// Edges whose first pull (the full resync) is done: they are holding pulls now.
    pub connected: AtomicUsize,
    pub errors: AtomicUsize,
}

/// Keeps `edge` pulling, as `gasq-edge` does, until `stop`: a quick first pull, then
/// pulls held in the cloud, each answered revocation handed to whoever waits for it.
pub async fn hold(edge: Arc<Edge>, fleet: Arc<Fleet>, stop: CancellationToken) {
    let mut since = 0;
    let mut wait = 0;
    loop {
        let answer = tokio::select! {
            a = edge.pull(&fleet.client, since, wait) => a,
            () = stop.cancelled() => return,
        };
        match answer {
            Ok(page) => {
                for change in page["changes"].as_array().into_iter().flatten() {
                    if change["kind"] == "revoked"
                        && let Some(id) = change["booking_id"].as_str()
                    {
                        fleet.waiters.arrived(id);
                    }
                }
                since = page["cursor"].as_i64().unwrap_or(since);
                if wait == 0 {
                    fleet.connected.fetch_add(1, Ordering::Relaxed);
                    wait = WAIT_SECS;
                }
            }
            Err(_) => {
                fleet.errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
