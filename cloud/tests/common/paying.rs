//! Paying in tests: online bookings, the checkout callback, webhooks, receipts, and a
//! world whose cloud talks to the fake Razorpay.

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::app::{Cloud, TestApp};
use super::db::TestDb;
use super::razorpay::FakeRazorpay;
use super::world::{World, world_with};
use gasq_cloud::store::AuditFilter;

/// Books the slot at `slot` online for the world's driver and vehicle.
pub async fn book_online(w: &World, slot: chrono::DateTime<Utc>, kg: Option<f64>) -> Value {
    let body = json!({"station_id": w.station, "vehicle_id": w.vehicle, "slot_start": slot,
        "quantity_kg": kg, "payment_method": "online"});
    let (status, b) = w
        .app
        .post("/api/v1/bookings", Some(&w.driver.token), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b["status"], "pending_payment", "{b}");
    b
}

pub async fn booking(w: &World, id: &str) -> Value {
    let (status, b) = w
        .app
        .get(&format!("/api/v1/bookings/{id}"), Some(&w.driver.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b
}

pub async fn receipt(w: &World, id: &str) -> Value {
    let (status, r) = w
        .app
        .get(
            &format!("/api/v1/bookings/{id}/receipt"),
            Some(&w.driver.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r
}

/// Ledger rows of `kind` on a receipt.
pub fn ledger_rows(receipt: &Value, kind: &str) -> usize {
    receipt["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .count()
}

pub async fn verify(app: &TestApp, callback: Value) -> (StatusCode, Value) {
    app.post("/api/v1/payments/razorpay/verify", None, callback)
        .await
}

/// Delivers a signed webhook as Razorpay does, to `cloud` (in-process or the binary).
pub async fn deliver(
    cloud: &impl Cloud,
    (body, sig, event): &(Vec<u8>, String, String),
) -> (StatusCode, Value) {
    let res = cloud
        .client()
        .post(format!("{}/api/v1/payments/razorpay/webhook", cloud.base()))
        .header("content-type", "application/json")
        .header("x-razorpay-signature", sig)
        .header("x-razorpay-event-id", event)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The value of `name="…"` (an HTML data attribute) on a page.
pub fn attribute(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("{name} in {html}"));
    let rest = &html[start + name.len() + 2..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Presses a button on the test-mode checkout page; the page's HTML.
pub async fn press(app: &TestApp, booking: &str, outcome: &str) -> String {
    let res = app
        .http
        .post(app.url(&format!("/pay/{booking}")))
        .form(&[("outcome", outcome)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

/// Pays a booking on the test-mode page and posts the page's callback.
pub async fn pay_in_test_mode(w: &World, booking: &str) {
    let page = press(&w.app, booking, "pay").await;
    let cb = json!({"razorpay_order_id": attribute(&page, "data-order"),
        "razorpay_payment_id": attribute(&page, "data-payment"),
        "razorpay_signature": attribute(&page, "data-signature")});
    let (status, res) = verify(&w.app, cb).await;
    assert_eq!(status, StatusCode::OK, "{res}");
}

pub async fn paid_audits(app: &TestApp, booking: &str) -> usize {
    let filter = AuditFilter {
        action: Some("booking.paid".into()),
        target: Some(format!("booking:{booking}")),
        limit: 100,
        ..AuditFilter::default()
    };
    app.app.store.audit_entries(filter).await.unwrap().len()
}

pub async fn razorpay_world() -> (World, FakeRazorpay) {
    let fake = FakeRazorpay::start().await;
    let f = fake.clone();
    let w = world_with(TestDb::sqlite(), move |s| f.configure(s)).await;
    (w, fake)
}
