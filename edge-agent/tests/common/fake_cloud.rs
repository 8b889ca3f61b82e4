//! A small stand-in for the cloud's edge API, on 127.0.0.1:0, following the DTOs in
//! `gasq_shared::sync`: enrollment with one-time codes, the change log with cursors and
//! paging, idempotent event ingestion. Device JWTs are verified like the cloud does
//! (EdDSA, audience, against the enrolled public key). Switches let tests take it
//! down, lose acks, or refuse poison events.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use gasq_shared::keys::TokenKeys;
use gasq_shared::problem::{self, Problem};
use gasq_shared::sync::{
    Change, ChangesResponse, DEVICE_JWT_AUDIENCE, DeviceClaims, EdgeEvent, EnrollRequest,
    EnrollResponse, EventBatch, EventsResponse, RejectedEvent, StationConfig,
};
use gasq_shared::{DeviceId, EventId};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// What the fake cloud does with events that `poison` matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoisonMode {
    /// Name them in `rejected`.
    Reject,
    /// Refuse any batch holding one with 422 (the edge must bisect).
    RefuseBatch,
}

type Poison = Arc<dyn Fn(&EdgeEvent) -> bool + Send + Sync>;

#[derive(Default)]
pub struct CloudState {
    codes: HashMap<String, (StationConfig, TokenKeys, String)>,
    devices: HashMap<DeviceId, String>,
    log: Vec<Change>,
    pub page_size: usize,
    /// Every event ingested, by id, and how often it arrived.
    pub events: HashMap<EventId, (EdgeEvent, usize)>,
    pub down: bool,
    /// Ingest the next N batches but answer 503, as if the ack got lost.
    pub lose_acks: usize,
    poison: Option<(Poison, PoisonMode)>,
    pub batches: usize,
    pub pulls: usize,
    /// The health reported with each request that got through, in order.
    pub health: Vec<Health>,
    pub revoked_devices: HashSet<DeviceId>,
    /// How far the cloud's clock is ahead of the test machine's (negative: behind). It
    /// shows in the `Date` header and in device-JWT checks, as a box with a skewed clock
    /// would see it.
    pub clock_ahead_secs: i64,
}

/// The running fake. Dropping it stops the server.
pub struct FakeCloud {
    pub url: String,
    state: Arc<Mutex<CloudState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeCloud {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeCloud {
    /// Starts on a free port of 127.0.0.1 (on the current tokio runtime).
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(CloudState {
            page_size: 500,
            ..CloudState::default()
        }));
        let app = Router::new()
            .route("/api/v1/edge/enroll", post(enroll))
            .route("/api/v1/edge/changes", get(changes))
            .route("/api/v1/edge/events", post(events))
            .route("/healthz", get(|| async { "ok" }))
            .layer(axum::middleware::map_response_with_state(
                state.clone(),
                date_header,
            ))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: format!("http://{addr}"),
            state,
            task,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, CloudState> {
        self.state.lock().unwrap()
    }

    /// Issues a one-time enrollment code for `station`.
    pub fn add_code(&self, code: &str, station: StationConfig, keys: TokenKeys, secret: &str) {
        self.state()
            .codes
            .insert(code.into(), (station, keys, secret.into()));
    }

    /// Appends to the station's change log.
    pub fn push_change(&self, change: Change) {
        self.state().log.push(change);
    }

    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    pub fn set_clock_ahead(&self, secs: i64) {
        self.state().clock_ahead_secs = secs;
    }

    pub fn set_poison(
        &self,
        mode: PoisonMode,
        f: impl Fn(&EdgeEvent) -> bool + Send + Sync + 'static,
    ) {
        self.state().poison = Some((Arc::new(f), mode));
    }

    /// Every distinct event received.
    pub fn events(&self) -> Vec<EdgeEvent> {
        let mut events: Vec<_> = self
            .state()
            .events
            .values()
            .map(|(e, _)| e.clone())
            .collect();
        events.sort_by_key(|e| e.seq);
        events
    }

    /// How many times each event arrived (the edge may resend; the cloud counts once).
    pub fn arrivals(&self) -> Vec<usize> {
        self.state().events.values().map(|(_, n)| *n).collect()
    }
}

fn problem(status: StatusCode, detail: &str) -> Response {
    let body = Problem::new(
        status.as_u16(),
        "fake",
        "Fake cloud says no",
        Some(detail.into()),
    );
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        problem::CONTENT_TYPE.parse().unwrap(),
    );
    response
}

type Shared = State<Arc<Mutex<CloudState>>>;

/// Every answer carries the cloud's clock in `Date`, as a real server's does.
async fn date_header(State(state): Shared, mut response: Response) -> Response {
    let ahead = state.lock().unwrap().clock_ahead_secs;
    let now = Utc::now() + chrono::Duration::seconds(ahead);
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    response
        .headers_mut()
        .insert(axum::http::header::DATE, date.parse().unwrap());
    response
}

/// The cloud's leeway for device JWTs (its `LEEWAY_SECS`).
const LEEWAY_SECS: i64 = gasq_shared::sync::DEVICE_JWT_LEEWAY_SECS;

async fn enroll(State(state): Shared, Json(req): Json<EnrollRequest>) -> Response {
    let mut s = state.lock().unwrap();
    if s.down {
        return problem(StatusCode::SERVICE_UNAVAILABLE, "down for maintenance");
    }
    let Some((station, keys, secret)) = s.codes.remove(&req.code) else {
        return problem(
            StatusCode::NOT_FOUND,
            "This enrollment code is unknown, used or expired: ask for a new one.",
        );
    };
    let device_id = DeviceId::new();
    s.devices.insert(device_id, req.public_key);
    Json(EnrollResponse {
        device_id,
        station,
        keys,
        attendant_secret: secret,
        lane_code_secrets: Vec::new(),
    })
    .into_response()
}

/// The answer to a request refused before it is looked at (down, or a bad device JWT).
fn refusal(s: &CloudState, headers: &HeaderMap) -> Option<Response> {
    if s.down {
        return Some(problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "down for maintenance",
        ));
    }
    authenticate(s, headers)
        .err()
        .map(|why| problem(StatusCode::UNAUTHORIZED, &why))
}

/// Verifies the device JWT like the cloud does; `Err` says why not.
fn authenticate(s: &CloudState, headers: &HeaderMap) -> Result<DeviceId, String> {
    let deny = |why: &str| why.to_owned();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| deny("no device token"))?;
    let claims = jsonwebtoken::dangerous::insecure_decode::<DeviceClaims>(token)
        .map_err(|_| deny("unreadable device token"))?
        .claims;
    let device: DeviceId = claims.sub.parse().map_err(|_| deny("bad subject"))?;
    if s.revoked_devices.contains(&device) {
        return Err(deny("this device was revoked"));
    }
    let public = s
        .devices
        .get(&device)
        .ok_or_else(|| deny("unknown device"))?;
    let key = DecodingKey::from_ed_components(public).map_err(|_| deny("bad key"))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[DEVICE_JWT_AUDIENCE]);
    // The times are checked below against this cloud's own (possibly skewed) clock,
    // not the test machine's.
    validation.validate_exp = false;
    jsonwebtoken::decode::<DeviceClaims>(token, &key, &validation)
        .map_err(|e| deny(&format!("device token does not verify: {e}")))?;
    // The token's times against the cloud's own clock, with the cloud's leeway.
    let now = Utc::now().timestamp() + s.clock_ahead_secs;
    if claims.iat > now + LEEWAY_SECS || claims.exp + LEEWAY_SECS < now {
        return Err(deny(
            "device token is expired or not yet valid: check the box's clock",
        ));
    }
    Ok(device)
}

#[derive(serde::Deserialize)]
struct Since {
    since: Option<i64>,
}

/// What the edge says about its outbox on every pull and push.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Health {
    pub outbox_depth: Option<u64>,
    pub oldest_unsent_at: Option<chrono::DateTime<Utc>>,
    pub quarantined: Option<u64>,
}

async fn changes(
    State(state): Shared,
    headers: HeaderMap,
    Query(q): Query<Since>,
    Query(health): Query<Health>,
) -> Response {
    let mut s = state.lock().unwrap();
    if let Some(refused) = refusal(&s, &headers) {
        return refused;
    }
    s.pulls += 1;
    s.health.push(health);
    let since = q.since.unwrap_or(0);
    let len = s.log.len() as i64;
    let (full_resync, start) = if since <= 0 || since > len {
        (true, 0)
    } else {
        (false, since)
    };
    let end = (start + s.page_size as i64).min(len);
    let page = s.log[start as usize..end as usize].to_vec();
    Json(ChangesResponse {
        full_resync,
        changes: page,
        cursor: end,
        more: end < len,
        server_time: Utc::now(),
    })
    .into_response()
}

async fn events(
    State(state): Shared,
    headers: HeaderMap,
    Query(health): Query<Health>,
    Json(batch): Json<EventBatch>,
) -> Response {
    let mut s = state.lock().unwrap();
    if let Some(refused) = refusal(&s, &headers) {
        return refused;
    }
    s.batches += 1;
    s.health.push(health);
    let poison = s.poison.clone();
    let is_poison = |e: &EdgeEvent| poison.as_ref().is_some_and(|(f, _)| f(e));
    let mode = poison.as_ref().map(|(_, m)| *m);
    if mode == Some(PoisonMode::RefuseBatch) && batch.events.iter().any(is_poison) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "this batch holds an event I cannot take",
        );
    }
    let mut answer = EventsResponse::default();
    for event in &batch.events {
        if is_poison(event) {
            answer.rejected.push(RejectedEvent {
                id: event.id,
                reason: "poison".into(),
            });
            continue;
        }
        s.events
            .entry(event.id)
            .or_insert_with(|| (event.clone(), 0))
            .1 += 1;
        answer.acked.push(event.id);
    }
    if s.lose_acks > 0 {
        s.lose_acks -= 1;
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "ingested, but the answer got lost",
        );
    }
    Json(answer).into_response()
}
