//! Payments through the real cloud: the test-mode checkout page, Razorpay (a fake on a
//! real port) for orders, callbacks, webhooks, refunds and reconciliation; settlement
//! by the fill; refunds by the station's policy; invariant 4 across two replicas.

#![allow(clippy::unwrap_used)] // a test: a panic is a failure

mod common;

use chrono::{Duration, DurationRound, Utc};
use common::app::future_slot;
use common::db::TestDb;
use common::device::TestDevice;
use common::paying::*;
use common::razorpay::FakeRazorpay;
use common::world::{World, world, world_with};
use gasq_cloud::app::payments::pass;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

#[tokio::test]
async fn a_driver_pays_on_the_test_mode_page_and_the_booking_is_confirmed_once() {
    let w = world().await;
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    let id = b["id"].as_str().unwrap();
    assert_eq!(b["pay_url"], format!("/pay/{id}"));
    assert_eq!(b["payment"]["amount_paise"], 45_600);

    let page = w
        .app
        .http
        .get(w.app.url(&format!("/pay/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("TEST MODE"), "{html}");
    assert!(html.contains("₹456.00"), "{html}");
    // The page opens without signing in: it never shows the lane code, which the
    // attendant accepts instead of the QR.
    let code = b["code"].as_str().unwrap();
    assert!(!html.contains(code), "{html}");

    // Fail first: nothing changes but the ledger's note of the attempt.
    let failed = press(&w.app, id, "fail").await;
    assert!(failed.contains("The payment failed"), "{failed}");
    assert_eq!(booking(&w, id).await["status"], "pending_payment");

    // Pay: the local gateway's webhook confirms it; the page's callback changes nothing.
    let page = press(&w.app, id, "pay").await;
    let cb = json!({"razorpay_order_id": attribute(&page, "data-order"),
        "razorpay_payment_id": attribute(&page, "data-payment"),
        "razorpay_signature": attribute(&page, "data-signature")});
    let mut forged = cb.clone();
    forged["razorpay_payment_id"] = json!("pay_someoneelse01");
    let (status, problem) = verify(&w.app, forged).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["code"], "invalid_payment_signature");
    for _ in 0..2 {
        let (status, res) = verify(&w.app, cb.clone()).await;
        assert_eq!(status, StatusCode::OK, "{res}");
        assert_eq!(res["status"], "confirmed");
        assert_eq!(
            res["outcome"], "already_confirmed",
            "the webhook came first"
        );
    }
    assert_eq!(booking(&w, id).await["status"], "confirmed");
    let (status, _) = w
        .app
        .get(
            &format!("/api/v1/bookings/{id}/token"),
            Some(&w.driver.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a paid booking has its e-token");

    let r = receipt(&w, id).await;
    assert_eq!(r["paid_paise"], 45_600, "{r}");
    assert_eq!(ledger_rows(&r, "order"), 1, "{r}");
    assert_eq!(ledger_rows(&r, "payment"), 1, "{r}");
    assert_eq!(ledger_rows(&r, "payment_failed"), 1, "{r}");
    assert_eq!(paid_audits(&w.app, id).await, 1);
    // Paying again on the page pays nothing: the booking is confirmed.
    let again = press(&w.app, id, "pay").await;
    assert!(again.contains("nothing to pay"), "{again}");
}

#[tokio::test]
async fn orders_go_to_razorpay_and_a_lost_answer_or_a_5xx_makes_no_second_order() {
    let (w, fake) = razorpay_world().await;
    fake.with(|s| s.lose_next_order_answer = true);
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    assert_eq!(b["payment"]["provider"], "razorpay");
    let orders = fake.with(|s| s.orders.clone());
    assert_eq!(orders.len(), 1, "the retry found the order by its receipt");
    assert_eq!(b["payment"]["order_id"], orders[0]["id"]);
    assert_eq!(orders[0]["amount"], 45_600);
    assert_eq!(orders[0]["receipt"], b["id"]);
    assert_eq!(orders[0]["notes"]["station_id"], w.station.to_string());

    fake.with(|s| s.fail_orders = 1);
    book_online(&w, future_slot(6), Some(5.0)).await;
    assert_eq!(fake.with(|s| s.orders.len()), 2);

    // Too slow: the cloud gives up waiting, but Razorpay made the order all the same.
    fake.with(|s| s.slow_next = 1);
    let b = book_online(&w, future_slot(12), Some(5.0)).await;
    let orders = fake.with(|s| s.orders.clone());
    assert_eq!(
        orders.len(),
        3,
        "a timed-out order is found, not made again"
    );
    assert_eq!(b["payment"]["order_id"], orders[2]["id"]);

    // Razorpay down for good: a clear 503, and the slot is not held.
    fake.with(|s| s.fail_orders = 100);
    let body = json!({"station_id": w.station, "vehicle_id": w.vehicle, "slot_start": future_slot(9),
        "quantity_kg": 5.0, "payment_method": "online"});
    let (status, problem) = w
        .app
        .post("/api/v1/bookings", Some(&w.driver.token), body)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["code"], "payment_gateway_unavailable");
    assert!(
        problem["detail"].as_str().unwrap().contains("at_station"),
        "{problem}"
    );
}

#[tokio::test]
async fn webhooks_duplicated_reordered_and_before_the_callback_confirm_once() {
    let (w, fake) = razorpay_world().await;
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    let id = b["id"].as_str().unwrap();
    let order = b["payment"]["order_id"].as_str().unwrap();
    let payment = fake.pay(order);
    let entity = fake.payment(&payment);

    let forged = {
        let (body, _, ev) =
            FakeRazorpay::webhook("payment.captured", "payment", entity.clone(), "evt_1");
        (body, "00".repeat(32), ev)
    };
    let (status, problem) = deliver(&w.app, &forged).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(booking(&w, id).await["status"], "pending_payment");

    let captured = FakeRazorpay::webhook("payment.captured", "payment", entity.clone(), "evt_1");
    let mut authorized_entity = entity.clone();
    authorized_entity["status"] = json!("authorized");
    let authorized =
        FakeRazorpay::webhook("payment.authorized", "payment", authorized_entity, "evt_2");
    let order_paid = FakeRazorpay::webhook("order.paid", "payment", entity.clone(), "evt_3");
    assert_eq!(deliver(&w.app, &captured).await.1["status"], "applied");
    assert_eq!(deliver(&w.app, &captured).await.1["status"], "duplicate");
    // Older news after newer, another event about the same payment, then the callback.
    assert_eq!(deliver(&w.app, &authorized).await.1["status"], "applied");
    assert_eq!(deliver(&w.app, &order_paid).await.1["status"], "applied");
    let (status, res) = verify(&w.app, FakeRazorpay::checkout_callback(order, &payment)).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["outcome"], "already_confirmed");
    // A failed retry of the same order after the success changes nothing.
    let mut declined = entity.clone();
    declined["id"] = json!("pay_declined0001");
    declined["status"] = json!("failed");
    deliver(
        &w.app,
        &FakeRazorpay::webhook("payment.failed", "payment", declined, "evt_4"),
    )
    .await;

    let r = receipt(&w, id).await;
    assert_eq!(r["status"], "confirmed", "{r}");
    assert_eq!(r["paid_paise"], 45_600);
    assert_eq!(ledger_rows(&r, "payment"), 1, "{r}");
    assert_eq!(ledger_rows(&r, "capture"), 1, "{r}");
    assert_eq!(paid_audits(&w.app, id).await, 1);
    // Captured already: the payments pass asks Razorpay for nothing.
    pass::money_pass(&w.app.app).await.unwrap();
    assert_eq!(fake.calls("POST /v1/payments"), 0);
}

#[tokio::test]
async fn the_fill_settles_a_prepaid_booking_and_the_rest_is_refunded_once() {
    let (w, fake) = razorpay_world().await;
    // Fill to full: the station's 12 kg at ₹76 up front.
    let b = book_online(&w, future_slot(3), None).await;
    let id = b["id"].as_str().unwrap();
    let order = b["payment"]["order_id"].as_str().unwrap();
    assert_eq!(b["payment"]["amount_paise"], 91_200);
    let payment = fake.pay(order);
    verify(&w.app, FakeRazorpay::checkout_callback(order, &payment)).await;

    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let event = |seq: i64, kind: Value| {
        let mut e = json!({"id": Uuid::now_v7(), "seq": seq, "at": Utc::now()});
        e.as_object_mut()
            .unwrap()
            .extend(kind.as_object().unwrap().clone());
        e
    };
    let batch = json!([
        event(
            1,
            json!({"kind": "redeemed", "booking_id": id, "lane": 1, "known": true})
        ),
        event(
            2,
            json!({"kind": "fill", "booking_id": id, "lane": 1, "kg": 7.45, "amount_paise": 56620})
        ),
    ]);
    for _ in 0..2 {
        let (status, res) = device.push(&w.app, batch.clone()).await;
        assert_eq!(status, 200, "{res}");
    }
    // Razorpay answers 503 twice; the client's third attempt takes it.
    fake.with(|s| s.fail_refunds = 2);
    pass::money_pass(&w.app.app).await.unwrap();
    pass::money_pass(&w.app.app).await.unwrap();
    let refunds = fake.with(|s| s.refunds.clone());
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    let (refund, key) = &refunds[0];
    assert_eq!(
        refund["amount"], 34_580,
        "₹912 paid, 7.45 kg × ₹76 = ₹566.20 filled"
    );
    assert!(
        key.len() >= 10,
        "an idempotency key Razorpay accepts: {key}"
    );
    assert_eq!(fake.calls("POST /v1/payments/"), 3);
    let r = receipt(&w, id).await;
    assert_eq!(r["refund_pending_paise"], 34_580, "{r}");
    assert_eq!(r["fill_paise"], 56_620);
    assert_eq!(r["filled_kg"], 7.45);

    // Razorpay confirms, twice, under two event ids.
    let mut processed = refund.clone();
    processed["status"] = json!("processed");
    for event_id in ["evt_r1", "evt_r1", "evt_r2"] {
        let hook = FakeRazorpay::webhook("refund.processed", "refund", processed.clone(), event_id);
        let (status, res) = deliver(&w.app, &hook).await;
        assert_eq!(status, StatusCode::OK, "{res}");
    }
    let r = receipt(&w, id).await;
    assert_eq!(r["status"], "completed");
    assert_eq!(r["refunded_paise"], 34_580, "{r}");
    assert_eq!(r["refund_pending_paise"], 0);
    assert_eq!(ledger_rows(&r, "refund"), 1, "{r}");
    assert!(
        r["summary"].as_str().unwrap().contains("refunded ₹345.80"),
        "{r}"
    );
}

#[tokio::test]
async fn cancellations_are_refunded_by_the_station_policy() {
    let w = world().await;
    // Well before the slot: in full (the local gateway processes the refund in the same
    // pass, and says so by webhook).
    let early = book_online(&w, future_slot(3), Some(6.0)).await;
    let early = early["id"].as_str().unwrap();
    pay_in_test_mode(&w, early).await;
    w.cancel(early).await;
    pass::money_pass(&w.app.app).await.unwrap();
    let r = receipt(&w, early).await;
    assert_eq!(
        (r["refunded_paise"].clone(), r["fee_paise"].clone()),
        (json!(45_600), json!(0)),
        "{r}"
    );
    // The local gateway's bank said so the way Razorpay's does: by webhook.
    let refund = r["refunds"][0]["gateway_refund_id"].as_str().unwrap();
    let event = format!("evt_test_refund_{refund}");
    assert!(w.app.app.store.webhook_seen(&event).await.unwrap(), "{r}");

    // Inside the hour before the slot: less the ₹20 fee.
    let soon = Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::minutes(45);
    let late = book_online(&w, soon, Some(6.0)).await;
    let late = late["id"].as_str().unwrap();
    pay_in_test_mode(&w, late).await;
    w.cancel(late).await;
    pass::money_pass(&w.app.app).await.unwrap();
    pass::money_pass(&w.app.app).await.unwrap();
    let r = receipt(&w, late).await;
    assert_eq!(r["refunded_paise"], 43_600, "{r}");
    assert_eq!(r["fee_paise"], 2_000, "{r}");
    assert_eq!(
        r["refunds"].as_array().unwrap().len(),
        1,
        "refunded once: {r}"
    );

    // The station cancelling (a lane down) refunds in full, even inside the hour.
    let staff = book_online(&w, soon + Duration::hours(2), Some(6.0)).await;
    let staff = staff["id"].as_str().unwrap();
    pay_in_test_mode(&w, staff).await;
    let (status, res) = w
        .app
        .post(
            &format!("/api/v1/bookings/{staff}/cancel"),
            Some(&w.admin.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    pass::money_pass(&w.app.app).await.unwrap();
    let r = receipt(&w, staff).await;
    assert_eq!(r["refunded_paise"], 45_600, "{r}");

    // The station's takings and its CSV show it all.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .date_naive();
    let (status, days) = w
        .app
        .get(
            &format!("/api/v1/stations/{}/takings?from={today}", w.station),
            Some(&w.admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{days}");
    assert_eq!(days[0]["payments"], 3, "{days}");
    assert_eq!(
        days[0]["refunded_paise"],
        45_600 + 43_600 + 45_600,
        "{days}"
    );
    assert_eq!(days[0]["fees_paise"], 2_000, "{days}");
    let csv = w
        .app
        .http
        .get(w.app.url(&format!(
            "/api/v1/stations/{}/ledger.csv?from={today}",
            w.station
        )))
        .bearer_auth(&w.admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("date,time,booking_id,kind,amount_inr"),
        "{text}"
    );
    assert!(text.contains(",fee,20.00,"), "{text}");
    let (status, _) = w
        .app
        .get(
            &format!("/api/v1/stations/{}/takings?from={today}", w.station),
            Some(&w.driver.token),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a driver sees no takings");
}

#[tokio::test]
async fn a_payment_after_the_hold_lapsed_confirms_if_the_place_is_free_else_is_refunded() {
    let (w, fake) = razorpay_world().await;
    w.one_place_per_slot().await;
    let lapse = async |w: &World| {
        // The hold lapses (the holds worker, run as if 20 minutes had passed).
        let later = Utc::now() + Duration::minutes(20);
        w.app.app.store.expire_holds(later, 100).await.unwrap();
    };

    let free = book_online(&w, future_slot(3), Some(6.0)).await;
    lapse(&w).await;
    assert_eq!(
        booking(&w, free["id"].as_str().unwrap()).await["status"],
        "expired"
    );
    let order = free["payment"]["order_id"].as_str().unwrap();
    let paid = fake.pay(order);
    let (_, res) = verify(&w.app, FakeRazorpay::checkout_callback(order, &paid)).await;
    assert_eq!(
        res["outcome"], "confirmed",
        "the place was still free: {res}"
    );

    let taken = book_online(&w, future_slot(6), Some(6.0)).await;
    lapse(&w).await;
    let other = w.app.driver(2).await;
    let car = w.app.vehicle(&other, "MH12CD5678").await;
    let body = json!({"station_id": w.station, "vehicle_id": car, "slot_start": future_slot(6),
        "payment_method": "at_station"});
    let (status, b) = w
        .app
        .post("/api/v1/bookings", Some(&other.token), body)
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the lapsed hold freed the place: {b}"
    );
    let order = taken["payment"]["order_id"].as_str().unwrap();
    let late = fake.pay(order);
    let (_, res) = verify(&w.app, FakeRazorpay::checkout_callback(order, &late)).await;
    assert_eq!(res["outcome"], "refunding", "{res}");
    assert_eq!(res["status"], "expired");
    pass::money_pass(&w.app.app).await.unwrap();
    let refunds = fake.with(|s| s.refunds.clone());
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].0["payment_id"], late.as_str());
    assert_eq!(
        refunds[0].0["amount"], 45_600,
        "a late payment comes back in full"
    );

    // The place comes free again: the refunded payment still confirms nothing, whether
    // its callback is replayed or reconciliation asks the gateway about the order.
    let (status, _) = w
        .app
        .post(
            &format!("/api/v1/bookings/{}/cancel", b["id"].as_str().unwrap()),
            Some(&other.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, res) = verify(&w.app, FakeRazorpay::checkout_callback(order, &late)).await;
    assert_eq!(res["outcome"], "refunding", "{res}");
    let found = pass::reconcile(&w.app.app, Utc::now() + Duration::minutes(20))
        .await
        .unwrap();
    assert_eq!(found.recovered, 0, "{found:?}");
    let id = taken["id"].as_str().unwrap();
    assert_eq!(booking(&w, id).await["status"], "expired");
    let r = receipt(&w, id).await;
    assert_eq!(r["paid_paise"], 45_600, "{r}");
    assert!(
        r["summary"].as_str().unwrap().starts_with("Paid ₹456.00"),
        "{r}"
    );
}

#[tokio::test]
async fn a_cancelled_booking_fuelled_anyway_is_not_refunded_twice_and_the_rest_is_collected() {
    let w = world().await;
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    let id = b["id"].as_str().unwrap();
    pay_in_test_mode(&w, id).await;
    w.cancel(id).await;
    pass::money_pass(&w.app.app).await.unwrap();
    assert_eq!(receipt(&w, id).await["refunded_paise"], 45_600);
    // The edge had it offline and fuelled it: 2 kg.
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let batch = json!([
        {"id": Uuid::now_v7(), "seq": 1, "at": Utc::now(), "kind": "redeemed", "booking_id": id, "lane": 1, "known": true},
        {"id": Uuid::now_v7(), "seq": 2, "at": Utc::now(), "kind": "fill", "booking_id": id, "lane": 1, "kg": 2.0, "amount_paise": 15200},
    ]);
    let (status, res) = device.push(&w.app, batch).await;
    assert_eq!(status, 200, "{res}");
    pass::money_pass(&w.app.app).await.unwrap();
    let r = receipt(&w, id).await;
    assert_eq!(
        r["refunds"].as_array().unwrap().len(),
        1,
        "no second refund: {r}"
    );
    let cases = w.dashboard().await["reconciliation"].clone();
    let collect = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "underpaid")
        .unwrap_or_else(|| panic!("{cases}"));
    assert!(
        collect["detail"]
            .as_str()
            .unwrap()
            .contains("collect ₹152.00"),
        "{collect}"
    );
    // The admin collects it and closes the case.
    let path = format!(
        "/api/v1/stations/{}/cases/{}/resolve",
        w.station,
        collect["id"].as_str().unwrap()
    );
    let (status, _) = w
        .app
        .post(
            &path,
            Some(&w.admin.token),
            json!({"resolution": "collected ₹152 at lane 1"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w
        .app
        .post(&path, Some(&w.admin.token), json!({"resolution": "again"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let cases = w.dashboard().await["reconciliation"].clone();
    assert!(!cases.to_string().contains("underpaid"), "{cases}");
}

#[tokio::test]
async fn reconciliation_recovers_a_lost_payment_and_raises_a_case_for_each_difference() {
    let (w, fake) = razorpay_world().await;
    let lost = book_online(&w, future_slot(3), Some(6.0)).await;
    let lost_id = lost["id"].as_str().unwrap();
    // Paid at Razorpay, but neither the callback nor any webhook reached GasQ.
    let payment = fake.pay(lost["payment"]["order_id"].as_str().unwrap());
    // A booking GasQ holds as paid that Razorpay later reports failed.
    let shaky = book_online(&w, future_slot(6), Some(5.0)).await;
    let order = shaky["payment"]["order_id"].as_str().unwrap();
    let shaky_payment = fake.pay(order);
    verify(
        &w.app,
        FakeRazorpay::checkout_callback(order, &shaky_payment),
    )
    .await;
    fake.with(|s| s.payments.get_mut(&shaky_payment).unwrap()["status"] = json!("failed"));

    let later = Utc::now() + Duration::minutes(20);
    let found = pass::reconcile(&w.app.app, later).await.unwrap();
    assert_eq!(found.recovered, 1, "{found:?}");
    assert_eq!(found.cases, 2, "{found:?}");
    assert_eq!(booking(&w, lost_id).await["status"], "confirmed");
    let cases = w.dashboard().await["reconciliation"].clone();
    let kinds: Vec<&str> = cases
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"paid_not_confirmed"), "{cases}");
    assert!(kinds.contains(&"confirmed_not_paid"), "{cases}");
    assert!(cases.to_string().contains(&payment), "{cases}");
    // Running again finds the same differences and raises nothing new.
    let again = pass::reconcile(&w.app.app, later).await.unwrap();
    assert_eq!(again.cases, 0, "{again:?}");
    // The settlement's fee went into the ledger (once), and the day's net counts it.
    let r = receipt(&w, lost_id).await;
    assert_eq!(ledger_rows(&r, "gateway_fee"), 1, "{r}");
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .date_naive();
    let (_, days) = w
        .app
        .get(
            &format!("/api/v1/stations/{}/takings?from={today}", w.station),
            Some(&w.admin.token),
        )
        .await;
    let fee = common::razorpay::fee(45_600);
    assert!(
        days[0]["gateway_fees_paise"].as_i64().unwrap() >= fee,
        "{days}"
    );
    let d = &days[0];
    assert_eq!(
        d["net_paise"].as_i64().unwrap(),
        d["captured_paise"].as_i64().unwrap()
            - d["refunded_paise"].as_i64().unwrap()
            - d["gateway_fees_paise"].as_i64().unwrap(),
        "{days}"
    );
}

/// Invariant 4 on PostgreSQL: two replicas get the same webhook, its siblings and the
/// checkout callback at once; the booking is confirmed once.
#[tokio::test]
async fn two_replicas_receiving_the_same_webhook_at_once_confirm_once() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let fake = FakeRazorpay::start().await;
    let second_db = db.same_database();
    let f = fake.clone();
    let w = world_with(db, move |s| f.configure(s)).await;
    let f = fake.clone();
    let replica = common::app::spawn_with(second_db, move |s| f.configure(s)).await;
    // Four rounds: a driver holds at most four live bookings.
    for round in 0..4 {
        let b = book_online(&w, future_slot(2 + 2 * round), Some(6.0)).await;
        let id = b["id"].as_str().unwrap().to_owned();
        let order = b["payment"]["order_id"].as_str().unwrap().to_owned();
        let payment = fake.pay(&order);
        let entity = fake.payment(&payment);
        let captured = FakeRazorpay::webhook(
            "payment.captured",
            "payment",
            entity.clone(),
            &format!("evt_c{round}"),
        );
        let paid = FakeRazorpay::webhook("order.paid", "payment", entity, &format!("evt_p{round}"));
        let callback = FakeRazorpay::checkout_callback(&order, &payment);
        let mut calls = Vec::new();
        for app in [&w.app, &replica, &w.app, &replica] {
            calls.push(Box::pin(async { deliver(app, &captured).await.0 })
                as std::pin::Pin<Box<dyn Future<Output = StatusCode> + Send>>);
            calls.push(Box::pin(async { deliver(app, &paid).await.0 }));
            calls.push(Box::pin(async { verify(app, callback.clone()).await.0 }));
        }
        for status in futures::future::join_all(calls).await {
            assert_eq!(status, StatusCode::OK);
        }
        let r = receipt(&w, &id).await;
        assert_eq!(r["status"], "confirmed", "{r}");
        assert_eq!(ledger_rows(&r, "payment"), 1, "{r}");
        assert_eq!(ledger_rows(&r, "capture"), 1, "{r}");
        assert!(r["refunds"].as_array().unwrap().is_empty(), "{r}");
        assert_eq!(paid_audits(&w.app, &id).await, 1, "round {round}");
    }
}

#[tokio::test]
async fn a_booking_keeps_the_price_of_its_moment_and_prices_keep_their_history() {
    let w = world().await;
    let before = book_online(&w, future_slot(3), Some(6.0)).await;
    let (status, s) = w
        .app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/stations/{}", w.station),
            Some(&w.admin.token),
            Some(json!({"price_paise_per_kg": 8_000})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let after = book_online(&w, future_slot(6), Some(6.0)).await;
    assert_eq!(before["payment"]["amount_paise"], 45_600);
    assert_eq!(after["payment"]["amount_paise"], 48_000);
    assert_eq!(
        receipt(&w, before["id"].as_str().unwrap()).await["price_paise_per_kg"],
        7_600
    );
    let (status, prices) = w
        .app
        .get(
            &format!("/api/v1/stations/{}/prices", w.station),
            Some(&w.admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{prices}");
    assert_eq!(prices[0]["price_paise_per_kg"], 8_000, "{prices}");
    assert_eq!(prices[0]["set_by"], w.admin.user_id.as_str(), "{prices}");
    assert_eq!(prices[1]["price_paise_per_kg"], 7_600, "{prices}");
}

#[tokio::test]
async fn a_fill_of_an_unpaid_online_booking_raises_a_case() {
    let w = world().await;
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    let id = b["id"].as_str().unwrap();
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    let batch = json!([
        {"id": Uuid::now_v7(), "seq": 1, "at": Utc::now(), "kind": "redeemed", "booking_id": id, "lane": 1, "known": false},
        {"id": Uuid::now_v7(), "seq": 2, "at": Utc::now(), "kind": "fill", "booking_id": id, "lane": 1, "kg": 6.0, "amount_paise": 45600},
    ]);
    let (status, res) = device.push(&w.app, batch).await;
    assert_eq!(status, 200, "{res}");
    let cases = w.dashboard().await["reconciliation"].clone();
    let unpaid: Vec<&Value> = cases
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "fill_unpaid")
        .collect();
    assert_eq!(unpaid.len(), 1, "{cases}");
    assert!(
        unpaid[0]["detail"].as_str().unwrap().contains("₹456.00"),
        "{cases}"
    );
}

#[tokio::test]
async fn a_refund_the_gateway_reports_failed_is_sent_again_under_a_new_key() {
    let (w, fake) = razorpay_world().await;
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    let id = b["id"].as_str().unwrap();
    let order = b["payment"]["order_id"].as_str().unwrap();
    let payment = fake.pay(order);
    verify(&w.app, FakeRazorpay::checkout_callback(order, &payment)).await;
    w.cancel(id).await;
    pass::money_pass(&w.app.app).await.unwrap();
    let (first, first_key) = fake.with(|s| s.refunds[0].clone());
    // The bank bounced it: Razorpay gives the money back to the account and says so.
    fake.with(|s| s.payments.get_mut(&payment).unwrap()["amount_refunded"] = json!(0));
    let mut failed = first.clone();
    failed["status"] = json!("failed");
    let hook = FakeRazorpay::webhook("refund.failed", "refund", failed, "evt_f1");
    assert_eq!(deliver(&w.app, &hook).await.0, StatusCode::OK);
    assert_eq!(deliver(&w.app, &hook).await.1["status"], "duplicate");
    // Tried again after its wait, with a new idempotency key.
    let r = receipt(&w, id).await;
    assert_eq!(r["refund_pending_paise"], 45_600, "{r}");
    assert_eq!(ledger_rows(&r, "refund_failed"), 1, "{r}");
    let later = Utc::now() + Duration::minutes(11);
    let jobs = w
        .app
        .app
        .store
        .claim_refunds(later, Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_ne!(jobs[0].idempotency_key(), first_key);
    assert_eq!(jobs[0].amount_paise, 45_600);
}
