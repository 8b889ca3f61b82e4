//! Payments through the real `gasq-cloud serve` binary against the fake Razorpay on a
//! real port: the order made with Basic auth, the signed Checkout callback confirming
//! the booking, a forged one refused, the driver's cancellation refunded by the payments
//! worker under an idempotency key, Razorpay's signed `refund.processed` webhook
//! (delivered twice) recorded once on the receipt; and a paid booking fuelled for less
//! than it paid, the rest refunded by itself.

#![allow(clippy::unwrap_used)] // a test: a panic is a failure

mod common;

use std::time::{Duration, Instant};

use common::app::request;
use common::device::{TestDevice, event};
use common::paying::deliver;
use common::razorpay::{FakeRazorpay, KEY_ID, KEY_SECRET, WEBHOOK_SECRET};
use common::served::Served;
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Api {
    http: reqwest::Client,
    served: Served,
}

impl Api {
    async fn send(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        request(&self.served, method.parse().unwrap(), path, bearer, body).await
    }

    async fn ok(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let (status, v) = self.send(method, path, bearer, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v
    }

    async fn login(&self, login: &str, password: &str) -> String {
        let body = json!({"login": login, "password": password});
        let t = self
            .ok("POST", "/api/v1/auth/login", None, Some(body))
            .await;
        t["access_token"].as_str().unwrap().to_owned()
    }
}

/// Polls `check` for up to 30 s.
async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_real_binary_takes_payments_and_refunds_through_razorpay() {
    let fake = FakeRazorpay::start().await;
    let url = fake.url.clone();
    let served = tokio::task::spawn_blocking(move || {
        Served::start(&[
            ("GASQ_RAZORPAY_BASE_URL", &url),
            ("GASQ_RAZORPAY_KEY_ID", KEY_ID),
            ("GASQ_RAZORPAY_KEY_SECRET", KEY_SECRET),
            ("GASQ_RAZORPAY_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("GASQ_RAZORPAY_TIMEOUT_SECS", "2"),
            ("GASQ_PAYMENTS__WORKER_INTERVAL_SECS", "1"),
        ])
    })
    .await
    .unwrap();
    let api = Api {
        http: reqwest::Client::new(),
        served,
    };
    let driver = api.login("driver@demo.gasq.in", "demo-driver-pass").await;
    let car = api
        .ok(
            "POST",
            "/api/v1/vehicles",
            Some(&driver),
            Some(json!({"registration": "MH04RZ7001"})),
        )
        .await;
    // Tomorrow's first free slot: a cancellation today is refunded in full.
    let tomorrow = (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Kolkata)
        + chrono::Duration::days(1))
    .date_naive();
    let slots = api
        .ok(
            "GET",
            &format!("/api/v1/stations/1/slots?date={tomorrow}"),
            None,
            None,
        )
        .await;
    let free: Vec<Value> = slots
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["available"].as_i64() > Some(0))
        .cloned()
        .collect();
    let slot = free.first().expect("a free slot tomorrow").clone();

    // The order goes to Razorpay: ₹608 for 8 kg at ₹76, the booking id as its receipt.
    let body = json!({"station_id": 1, "vehicle_id": car["id"], "slot_start": slot["start"],
        "quantity_kg": 8.0, "payment_method": "online"});
    let b = api
        .ok("POST", "/api/v1/bookings", Some(&driver), Some(body))
        .await;
    let id = b["id"].as_str().unwrap().to_owned();
    let order = b["payment"]["order_id"].as_str().unwrap().to_owned();
    assert_eq!(b["payment"]["provider"], "razorpay", "{b}");
    let made = fake.with(|s| s.orders.clone());
    assert_eq!(made.len(), 1);
    assert_eq!(
        (made[0]["amount"].clone(), made[0]["receipt"].clone()),
        (json!(60_800), json!(id))
    );
    // The page opens Razorpay Checkout on the order with the public key id.
    let page = api
        .http
        .get(api.served.url(&format!("/pay/{id}")))
        .send()
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("checkout.razorpay.com/v1/checkout.js") && page.contains(KEY_ID));
    assert!(
        !page.contains(KEY_SECRET),
        "the secret never reaches the page"
    );

    // Checkout: a forged callback is refused; the signed one confirms the booking.
    let payment = fake.pay(&order);
    let mut forged = FakeRazorpay::checkout_callback(&order, &payment);
    forged["razorpay_signature"] = json!("0".repeat(64));
    let verify = "/api/v1/payments/razorpay/verify";
    let (status, _) = api.send("POST", verify, None, Some(forged)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let callback = FakeRazorpay::checkout_callback(&order, &payment);
    let paid = api.ok("POST", verify, None, Some(callback)).await;
    assert_eq!(paid["status"], "confirmed", "{paid}");

    // Cancelled a day ahead: the worker refunds all of it, once, with its key.
    api.ok(
        "POST",
        &format!("/api/v1/bookings/{id}/cancel"),
        Some(&driver),
        Some(json!({})),
    )
    .await;
    let (refund, key) = eventually("the refund reaches Razorpay", || {
        let found = fake.with(|s| s.refunds.first().cloned());
        std::future::ready(found)
    })
    .await;
    assert_eq!(refund["amount"], 60_800);
    assert!(key.starts_with("gasq-"), "{key}");
    let receipt_path = format!("/api/v1/bookings/{id}/receipt");
    let r = api.ok("GET", &receipt_path, Some(&driver), None).await;
    assert_eq!(r["refund_pending_paise"], 60_800, "{r}");

    // Razorpay says it is done, twice: recorded once.
    let mut processed = refund.clone();
    processed["status"] = json!("processed");
    let hook = FakeRazorpay::webhook("refund.processed", "refund", processed, "evt_bin_1");
    for _ in 0..2 {
        assert_eq!(deliver(&api.served, &hook).await.0, StatusCode::OK);
    }
    let r = api.ok("GET", &receipt_path, Some(&driver), None).await;
    assert_eq!(
        (
            r["refunded_paise"].clone(),
            r["refund_pending_paise"].clone()
        ),
        (json!(60_800), json!(0)),
        "{r}"
    );
    let refunds = r["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "refund")
        .count();
    assert_eq!(refunds, 1, "{r}");

    // A second booking, paid and fuelled: the lane fills 5 of the 8 kg, the fill
    // settles the bill, and the 3 kg not filled go back by themselves.
    let later = free.get(1).expect("a second free slot tomorrow");
    let body = json!({"station_id": 1, "vehicle_id": car["id"], "slot_start": later["start"],
        "quantity_kg": 8.0, "payment_method": "online"});
    let b = api
        .ok("POST", "/api/v1/bookings", Some(&driver), Some(body))
        .await;
    let filled = b["id"].as_str().unwrap().to_owned();
    let order = b["payment"]["order_id"].as_str().unwrap().to_owned();
    let payment = fake.pay(&order);
    let callback = FakeRazorpay::checkout_callback(&order, &payment);
    api.ok("POST", verify, None, Some(callback)).await;
    let admin = api.login("admin@demo.gasq.in", "demo-admin-pass").await;
    let code = api
        .ok(
            "POST",
            "/api/v1/stations/1/enrollment-codes",
            Some(&admin),
            None,
        )
        .await;
    let code = code["code"].as_str().unwrap();
    let box_ = TestDevice::enroll_with(&api.served, code).await.unwrap();
    let fill = json!([
        event(
            1,
            json!({"kind": "redeemed", "booking_id": filled, "lane": 1, "known": true})
        ),
        event(
            2,
            json!({"kind": "fill", "booking_id": filled, "lane": 1, "kg": 5.0, "amount_paise": 38_000})
        ),
    ]);
    let (status, res) = box_.push(&api.served, fill).await;
    assert_eq!(status, 200, "{res}");
    let (refund, _) = eventually("the settlement's refund reaches Razorpay", || {
        let found = fake.with(|s| s.refunds.get(1).cloned());
        std::future::ready(found)
    })
    .await;
    assert_eq!(
        refund["amount"], 22_800,
        "₹608 paid, 5 kg × ₹76 = ₹380 filled"
    );
    let mut processed = refund.clone();
    processed["status"] = json!("processed");
    let hook = FakeRazorpay::webhook("refund.processed", "refund", processed, "evt_bin_2");
    assert_eq!(deliver(&api.served, &hook).await.0, StatusCode::OK);
    let r = api
        .ok(
            "GET",
            &format!("/api/v1/bookings/{filled}/receipt"),
            Some(&driver),
            None,
        )
        .await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(
        (r["filled_kg"].clone(), r["fill_paise"].clone()),
        (json!(5.0), json!(38_000)),
        "{r}"
    );
    assert_eq!(
        (r["paid_paise"].clone(), r["refunded_paise"].clone()),
        (json!(60_800), json!(22_800)),
        "{r}"
    );

    // A few more worker passes send nothing more.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.with(|s| s.refunds.len()), 2);
}
