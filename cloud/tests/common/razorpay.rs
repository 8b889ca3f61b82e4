//! A fake Razorpay on a real port: the API paths GasQ calls, Basic auth checked, its
//! own orders, payments and refunds, and knobs to make it fail the way the real one
//! can (5xx, an answer lost after the order was made, slowness). Tests pay orders and
//! build signed webhooks with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use gasq_cloud::config::Settings;
use gasq_cloud::payments::signature;
use gasq_cloud::secret::Secret;
use serde_json::{Value, json};

pub const KEY_ID: &str = "rzp_test_fakekey";
pub const KEY_SECRET: &str = "fake_key_secret_0123";
pub const WEBHOOK_SECRET: &str = "fake_webhook_secret_0123";

#[derive(Default)]
pub struct FakeState {
    pub orders: Vec<Value>,
    pub payments: HashMap<String, Value>,
    /// (refund, its idempotency key)
    pub refunds: Vec<(Value, String)>,
    /// Requests answered, as `METHOD path`.
    pub calls: Vec<String>,
    /// Answer the next N order creations with a 500 (nothing made).
    pub fail_orders: u32,
    /// Make the next order, then answer 504 as if the answer was lost on the way.
    pub lose_next_order_answer: bool,
    /// Answer the next N refunds with a 503 (nothing made).
    pub fail_refunds: u32,
    /// Hold the next N answers longer than the cloud waits (3 s against its 2 s
    /// timeout); what they did is done all the same.
    pub slow_next: u32,
    /// Make the next N refunds, then hold their answers longer than the cloud waits.
    pub slow_refund_answers: u32,
    /// Refunds settled that nobody asked the API for (made in the dashboard).
    pub dashboard_refunds: Vec<Value>,
    seq: u32,
}

#[derive(Clone)]
pub struct FakeRazorpay {
    pub url: String,
    pub state: Arc<Mutex<FakeState>>,
}

impl FakeRazorpay {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let app = Router::new()
            .route("/v1/orders", post(create_order).get(list_orders))
            .route("/v1/orders/{id}/payments", get(order_payments))
            .route("/v1/payments", get(list_payments))
            .route("/v1/payments/{id}/capture", post(capture))
            .route("/v1/payments/{id}/refund", post(refund))
            .route("/v1/payments/{id}/refunds/{refund}", get(refund_status))
            .route("/v1/settlements/recon/combined", get(settlement_recon))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, state }
    }

    /// Points a cloud's settings at this fake (and drives its workers by hand).
    pub fn configure(&self, s: &mut Settings) {
        s.razorpay.base_url = self.url.clone();
        s.razorpay.key_id = Some(KEY_ID.into());
        s.razorpay.key_secret = Some(Secret::new(KEY_SECRET));
        s.razorpay.webhook_secret = Some(Secret::new(WEBHOOK_SECRET));
        s.razorpay.timeout_secs = 2;
        s.payments.worker_interval_secs = 3600;
        s.payments.reconcile_every_minutes = 100_000;
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// The driver pays `order` in Checkout: a captured payment; its id.
    pub fn pay(&self, order: &str) -> String {
        self.with(|s| {
            let amount = s
                .orders
                .iter()
                .find(|o| o["id"] == order)
                .map(|o| o["amount"].clone())
                .expect("order");
            s.seq += 1;
            let id = format!("pay_fake{:06}", s.seq);
            s.payments.insert(
                id.clone(),
                json!({"id": id, "entity": "payment", "amount": amount, "currency": "INR",
                       "status": "captured", "order_id": order, "amount_refunded": 0,
                       "created_at": chrono::Utc::now().timestamp()}),
            );
            id
        })
    }

    pub fn payment(&self, id: &str) -> Value {
        self.with(|s| s.payments[id].clone())
    }

    /// What Checkout hands the page: the signed callback.
    pub fn checkout_callback(order: &str, payment: &str) -> Value {
        let sig = signature::sign(KEY_SECRET, &signature::checkout_message(order, payment));
        json!({"razorpay_order_id": order, "razorpay_payment_id": payment, "razorpay_signature": sig})
    }

    /// A webhook delivery of `event` about `entity` (`payment` or `refund`): body,
    /// signature and event id.
    pub fn webhook(
        event: &str,
        name: &str,
        entity: Value,
        event_id: &str,
    ) -> (Vec<u8>, String, String) {
        let body = json!({"entity": "event", "account_id": "acc_fake", "event": event,
            "contains": [name], "payload": {name: {"entity": entity}},
            "created_at": chrono::Utc::now().timestamp()})
        .to_string()
        .into_bytes();
        let sig = signature::sign(WEBHOOK_SECRET, &body);
        (body, sig, event_id.to_owned())
    }

    /// Sets the status of refund `id` (`processed`, `failed`) as the bank reports it.
    pub fn refund_becomes(&self, id: &str, status: &str) {
        self.with(|s| {
            let (refund, _) = s.refunds.iter_mut().find(|(r, _)| r["id"] == id).unwrap();
            refund["status"] = json!(status);
        });
    }

    pub fn calls(&self, prefix: &str) -> usize {
        self.with(|s| s.calls.iter().filter(|c| c.starts_with(prefix)).count())
    }
}

type Shared = State<Arc<Mutex<FakeState>>>;

fn error(status: StatusCode, description: &str) -> Response {
    let body = json!({"error": {"code": "BAD_REQUEST_ERROR", "description": description}});
    (status, axum::Json(body)).into_response()
}

/// Razorpay's fee on a payment in the fake: 2% plus 18% tax on it.
pub fn fee(amount: i64) -> i64 {
    amount * 236 / 10_000
}

/// Every captured payment is settled, with its fee.
async fn settlement_recon(state: Shared, headers: HeaderMap) -> Response {
    if let Err(r) = admit(
        &state,
        &headers,
        "GET /v1/settlements/recon/combined".into(),
    )
    .await
    {
        return r;
    }
    let s = state.lock().unwrap();
    let items: Vec<Value> = s
        .payments
        .values()
        .filter(|p| p["status"] == "captured")
        .map(|p| {
            let amount = p["amount"].as_i64().unwrap_or_default();
            json!({"entity_id": p["id"], "type": "payment", "amount": amount, "fee": fee(amount),
                   "tax": 0, "settled": true, "order_id": p["order_id"]})
        })
        .chain(
            s.refunds
                .iter()
                .map(|(r, _)| r)
                .chain(&s.dashboard_refunds)
                .filter(|r| r["status"] == "processed")
                .map(|r| {
                    json!({"entity_id": r["id"], "type": "refund", "amount": r["amount"],
                           "fee": 0, "tax": 0, "settled": true, "payment_id": r["payment_id"]})
                }),
        )
        .collect();
    axum::Json(json!({"entity": "collection", "count": items.len(), "items": items}))
        .into_response()
}

/// Basic auth with the key id and secret, and the fake's slowness; `Err` answers.
async fn admit(state: &Shared, headers: &HeaderMap, call: String) -> Result<(), Response> {
    let slow = {
        let mut s = state.lock().unwrap();
        s.calls.push(call);
        let slow = s.slow_next > 0;
        s.slow_next = s.slow_next.saturating_sub(1);
        slow
    };
    if slow {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY_ID}:{KEY_SECRET}"))
    );
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(given) if given == expected => Ok(()),
        _ => Err(error(
            StatusCode::UNAUTHORIZED,
            "The api key provided is invalid",
        )),
    }
}

async fn create_order(state: Shared, headers: HeaderMap, body: axum::Json<Value>) -> Response {
    if let Err(r) = admit(&state, &headers, "POST /v1/orders".into()).await {
        return r;
    }
    let mut s = state.lock().unwrap();
    if s.fail_orders > 0 {
        s.fail_orders -= 1;
        return error(StatusCode::INTERNAL_SERVER_ERROR, "server error");
    }
    if body["currency"] != "INR" || !body["amount"].is_i64() || body["receipt"].as_str().is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "amount, currency INR and receipt are required",
        );
    }
    s.seq += 1;
    let order = json!({"id": format!("order_fake{:06}", s.seq), "entity": "order",
        "amount": body["amount"], "currency": "INR", "receipt": body["receipt"],
        "notes": body["notes"], "status": "created"});
    s.orders.push(order.clone());
    if std::mem::take(&mut s.lose_next_order_answer) {
        return error(StatusCode::GATEWAY_TIMEOUT, "upstream timed out");
    }
    axum::Json(order).into_response()
}

async fn list_orders(
    state: Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = admit(&state, &headers, "GET /v1/orders".into()).await {
        return r;
    }
    let s = state.lock().unwrap();
    let items: Vec<Value> = s
        .orders
        .iter()
        .filter(|o| q.get("receipt").is_none_or(|r| o["receipt"] == r.as_str()))
        .cloned()
        .collect();
    axum::Json(json!({"entity": "collection", "count": items.len(), "items": items}))
        .into_response()
}

async fn order_payments(state: Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = admit(&state, &headers, format!("GET /v1/orders/{id}/payments")).await {
        return r;
    }
    let s = state.lock().unwrap();
    let items: Vec<Value> = s
        .payments
        .values()
        .filter(|p| p["order_id"] == id.as_str())
        .cloned()
        .collect();
    axum::Json(json!({"entity": "collection", "count": items.len(), "items": items}))
        .into_response()
}

async fn list_payments(
    state: Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = admit(&state, &headers, "GET /v1/payments".into()).await {
        return r;
    }
    let skip: usize = q.get("skip").and_then(|v| v.parse().ok()).unwrap_or(0);
    let s = state.lock().unwrap();
    let mut items: Vec<Value> = s.payments.values().cloned().collect();
    items.sort_by_key(|p| p["id"].as_str().unwrap_or_default().to_owned());
    let items: Vec<Value> = items.into_iter().skip(skip).take(100).collect();
    axum::Json(json!({"entity": "collection", "count": items.len(), "items": items}))
        .into_response()
}

async fn capture(state: Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = admit(&state, &headers, format!("POST /v1/payments/{id}/capture")).await {
        return r;
    }
    let mut s = state.lock().unwrap();
    let Some(p) = s.payments.get_mut(&id) else {
        return error(StatusCode::BAD_REQUEST, "The id provided does not exist");
    };
    if p["status"] == "captured" {
        return error(
            StatusCode::BAD_REQUEST,
            "This payment has already been captured",
        );
    }
    p["status"] = json!("captured");
    axum::Json(p.clone()).into_response()
}

async fn refund_status(
    state: Shared,
    headers: HeaderMap,
    Path((payment, id)): Path<(String, String)>,
) -> Response {
    let call = format!("GET /v1/payments/{payment}/refunds/{id}");
    if let Err(r) = admit(&state, &headers, call).await {
        return r;
    }
    let s = state.lock().unwrap();
    match s
        .refunds
        .iter()
        .find(|(r, _)| r["id"] == id && r["payment_id"] == payment)
    {
        Some((r, _)) => axum::Json(r.clone()).into_response(),
        None => error(StatusCode::BAD_REQUEST, "The id provided does not exist"),
    }
}

async fn refund(
    state: Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    if let Err(r) = admit(&state, &headers, format!("POST /v1/payments/{id}/refund")).await {
        return r;
    }
    let key = headers
        .get("x-refund-idempotency")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (made, slow) = match make_refund(&state, &id, &key, &body) {
        Ok(made) => made,
        Err(answer) => return answer,
    };
    if slow {
        // Made; the answer is lost on the way (the cloud stopped waiting).
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    axum::Json(made).into_response()
}

/// The refund a request asks for (the one already made under its key, if any), and
/// whether its answer is to be held back; `Err` answers.
#[allow(clippy::result_large_err)] // the error is the answer itself
fn make_refund(
    state: &Shared,
    id: &str,
    key: &str,
    body: &Value,
) -> Result<(Value, bool), Response> {
    let mut s = state.lock().unwrap();
    if s.fail_refunds > 0 {
        s.fail_refunds -= 1;
        return Err(error(StatusCode::SERVICE_UNAVAILABLE, "try again"));
    }
    if let Some((made, _)) = s.refunds.iter().find(|(_, k)| !key.is_empty() && k == key) {
        return Ok((made.clone(), false));
    }
    let amount = body["amount"].as_i64().unwrap_or_default();
    let Some(p) = s.payments.get_mut(id) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "The id provided does not exist",
        ));
    };
    let refunded = p["amount_refunded"].as_i64().unwrap_or_default();
    if p["status"] != "captured" || refunded + amount > p["amount"].as_i64().unwrap_or_default() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "The refund amount exceeds the amount captured",
        ));
    }
    p["amount_refunded"] = json!(refunded + amount);
    s.seq += 1;
    let made = json!({"id": format!("rfnd_fake{:06}", s.seq), "entity": "refund",
        "amount": amount, "payment_id": id, "notes": body["notes"], "status": "pending"});
    s.refunds.push((made.clone(), key.to_owned()));
    let slow = s.slow_refund_answers > 0;
    s.slow_refund_answers = s.slow_refund_answers.saturating_sub(1);
    Ok((made, slow))
}
