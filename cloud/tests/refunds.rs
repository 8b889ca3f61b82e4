//! Refunds that go wrong on the way, and reconciliation finding every difference:
//! a refund whose webhook was lost (processed, failed, or stuck at the gateway), a
//! refund call that times out after the gateway made it, amounts that differ, refunds
//! made twice or outside GasQ, refunds the gateway refuses, and a lane fault that
//! cancels a paid booking.

#![allow(clippy::unwrap_used)] // a test: a panic is a failure

mod common;

use chrono::{Duration, Utc};
use common::app::future_slot;
use common::device::{TestDevice, event};
use common::paying::*;
use common::razorpay::FakeRazorpay;
use common::world::{World, world};
use gasq_cloud::app::payments::pass;
use reqwest::StatusCode;
use serde_json::json;

/// An online booking of `kg` in `hours_ahead`, paid through Checkout; (booking, payment).
async fn paid(w: &World, fake: &FakeRazorpay, hours_ahead: i64, kg: f64) -> (String, String) {
    let b = book_online(w, future_slot(hours_ahead), Some(kg)).await;
    let order = b["payment"]["order_id"].as_str().unwrap();
    let payment = fake.pay(order);
    let (status, res) = verify(&w.app, FakeRazorpay::checkout_callback(order, &payment)).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    (b["id"].as_str().unwrap().to_owned(), payment)
}

/// The kinds of the station's open reconciliation cases.
async fn case_kinds(w: &World) -> Vec<String> {
    let cases = w.dashboard().await["reconciliation"].clone();
    cases
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// The gateway refund ids Razorpay made, in order.
fn refund_ids(fake: &FakeRazorpay) -> Vec<String> {
    fake.with(|s| {
        s.refunds
            .iter()
            .map(|(r, _)| r["id"].as_str().unwrap().to_owned())
            .collect()
    })
}

#[tokio::test]
async fn a_refund_whose_webhook_was_lost_is_settled_by_asking_the_gateway() {
    let (w, fake) = razorpay_world().await;
    // Three paid bookings cancelled well ahead: three refunds in full, all pending.
    let mut bookings = Vec::new();
    for hours in [3, 6, 9] {
        let (booking, _) = paid(&w, &fake, hours, 6.0).await;
        w.cancel(&booking).await;
        bookings.push(booking);
    }
    pass::money_pass(&w.app.app).await.unwrap();
    let refunds = refund_ids(&fake);
    assert_eq!(refunds.len(), 3, "{refunds:?}");
    // The bank: the first went back, the second failed; the third is still pending.
    // None of their webhooks ever arrives.
    fake.refund_becomes(&refunds[0], "processed");
    fake.refund_becomes(&refunds[1], "failed");
    for booking in &bookings {
        assert_eq!(receipt(&w, booking).await["refund_pending_paise"], 45_600);
    }

    // Within the hour nothing is asked: the webhook may still come.
    let soon = Utc::now() + Duration::minutes(20);
    pass::reconcile(&w.app.app, soon).await.unwrap();
    assert_eq!(fake.calls("GET /v1/payments/pay"), 0);

    let later = Utc::now() + Duration::hours(2);
    let found = pass::reconcile(&w.app.app, later).await.unwrap();
    assert_eq!(found.refunds_settled, 2, "{found:?}");
    let done = receipt(&w, &bookings[0]).await;
    assert_eq!(done["refunded_paise"], 45_600, "{done}");
    assert_eq!(done["refund_pending_paise"], 0, "{done}");
    assert_eq!(ledger_rows(&done, "refund"), 1, "{done}");
    // The failed one is requested again (its next attempt goes under a new key).
    let failed = receipt(&w, &bookings[1]).await;
    assert_eq!(ledger_rows(&failed, "refund_failed"), 1, "{failed}");
    assert_eq!(failed["refunds"][0]["status"], "requested", "{failed}");
    // Asking again settles nothing twice, and the one still pending is not asked about
    // again so soon (a normal-speed refund takes days).
    let asked = fake.calls("GET /v1/payments/pay");
    assert_eq!(asked, 3);
    let again = pass::reconcile(&w.app.app, later).await.unwrap();
    assert_eq!(fake.calls("GET /v1/payments/pay"), asked);
    assert_eq!(again.refunds_settled, 0, "{again:?}");
    assert_eq!(ledger_rows(&receipt(&w, &bookings[0]).await, "refund"), 1);

    // Pending at the gateway for more than ten days: a case for a person.
    assert!(!case_kinds(&w).await.contains(&"refund_stuck".to_owned()));
    let much_later = Utc::now() + Duration::days(11);
    pass::reconcile(&w.app.app, much_later).await.unwrap();
    let kinds = case_kinds(&w).await;
    assert!(kinds.contains(&"refund_stuck".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn a_refund_call_that_times_out_is_made_once() {
    let (w, fake) = razorpay_world().await;
    let (booking, _) = paid(&w, &fake, 3, 6.0).await;
    w.cancel(&booking).await;
    // Razorpay makes the refund at once but its answer never arrives in time: the
    // retry must carry the same idempotency key, or a second refund would be made.
    fake.with(|s| s.slow_refund_answers = 1);
    pass::money_pass(&w.app.app).await.unwrap();
    assert_eq!(fake.calls("POST /v1/payments/"), 2, "tried again");
    assert_eq!(refund_ids(&fake).len(), 1, "made once");
    let r = receipt(&w, &booking).await;
    assert_eq!(r["refund_pending_paise"], 45_600, "{r}");
    pass::money_pass(&w.app.app).await.unwrap();
    assert_eq!(refund_ids(&fake).len(), 1, "not sent again");
}

#[tokio::test]
async fn reconciliation_raises_a_case_for_every_other_difference() {
    let (w, fake) = razorpay_world().await;
    // Settled at another amount than GasQ recorded.
    let (_, differs) = paid(&w, &fake, 3, 6.0).await;
    fake.with(|s| s.payments.get_mut(&differs).unwrap()["amount"] = json!(40_000));
    // Refunded once by GasQ, twice at the gateway.
    let (twice, twice_payment) = paid(&w, &fake, 6, 6.0).await;
    w.cancel(&twice).await;
    pass::money_pass(&w.app.app).await.unwrap();
    fake.with(|s| s.payments.get_mut(&twice_payment).unwrap()["amount_refunded"] = json!(91_200));
    // Refunded from the gateway's dashboard, its webhook lost: only the settlement knows.
    let (_, outside) = paid(&w, &fake, 9, 6.0).await;
    fake.with(|s| {
        s.dashboard_refunds
            .push(json!({"id": "rfnd_dashboard1", "payment_id": outside,
            "amount": 10_000, "status": "processed"}));
    });
    // A refund the gateway refuses (the payment cannot give that much back).
    let (refused, refused_payment) = paid(&w, &fake, 12, 6.0).await;
    fake.with(|s| s.payments.get_mut(&refused_payment).unwrap()["status"] = json!("refunded"));
    w.cancel(&refused).await;
    pass::money_pass(&w.app.app).await.unwrap();

    let later = Utc::now() + Duration::minutes(20);
    pass::reconcile(&w.app.app, later).await.unwrap();
    let kinds = case_kinds(&w).await;
    for kind in [
        "amount_differs",
        "refund_mismatch",
        "unexpected_refund",
        "refund_refused",
    ] {
        assert!(kinds.contains(&kind.to_owned()), "{kind} in {kinds:?}");
    }
    let cases = w.dashboard().await["reconciliation"].to_string();
    for subject in [&differs, &twice_payment, "rfnd_dashboard1"] {
        assert!(cases.contains(subject), "{subject} in {cases}");
    }
    // Each difference is raised once however often reconciliation runs.
    let before = kinds.len();
    let again = pass::reconcile(&w.app.app, later).await.unwrap();
    assert_eq!(again.cases, 0, "{again:?}");
    assert_eq!(case_kinds(&w).await.len(), before);
}

#[tokio::test]
async fn a_lane_fault_that_cancels_a_paid_booking_refunds_it_in_full() {
    let w = world().await;
    let booking = book_online(&w, future_slot(3), Some(6.0)).await;
    let booking = booking["id"].as_str().unwrap();
    pay_in_test_mode(&w, booking).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    // Every lane down: no place left within reach; the station cancels.
    let faults = json!([
        event(1, json!({"kind": "lane_fault", "lane": 1})),
        event(2, json!({"kind": "lane_fault", "lane": 2})),
    ]);
    let (status, body) = device.push(&w.app, faults).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        common::paying::booking(&w, booking).await["status"],
        "cancelled"
    );
    pass::money_pass(&w.app.app).await.unwrap();
    let r = receipt(&w, booking).await;
    assert_eq!(r["refunded_paise"], 45_600, "in full: {r}");
    assert_eq!(r["fee_paise"], 0, "{r}");
}

#[tokio::test]
async fn a_dispenser_that_prices_the_fill_otherwise_raises_a_case_and_the_bill_holds() {
    let w = world().await;
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    let id = b["id"].as_str().unwrap();
    pay_in_test_mode(&w, id).await;
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    // 5 kg at the pump's stale ₹80 instead of the station's ₹76.
    let fill = json!([
        event(
            1,
            json!({"kind": "redeemed", "booking_id": id, "lane": 1, "known": true})
        ),
        event(
            2,
            json!({"kind": "fill", "booking_id": id, "lane": 1, "kg": 5.0, "amount_paise": 40_000})
        ),
    ]);
    let (status, body) = device.push(&w.app, fill).await;
    assert_eq!(status, 200, "{body}");
    pass::money_pass(&w.app.app).await.unwrap();
    let r = receipt(&w, id).await;
    assert_eq!(r["fill_paise"], 38_000, "the station's price: {r}");
    assert_eq!(r["refunded_paise"], 45_600 - 38_000, "{r}");
    let kinds = case_kinds(&w).await;
    assert!(
        kinds.contains(&"dispenser_price_differs".to_owned()),
        "{kinds:?}"
    );

    // The station raises its price after a booking was made: the pump is right to
    // charge the new price, the booking keeps its own, and nobody is bothered.
    let b = book_online(&w, future_slot(6), Some(6.0)).await;
    let older = b["id"].as_str().unwrap();
    pay_in_test_mode(&w, older).await;
    w.app
        .patch_station(&w.admin, w.station, json!({"price_paise_per_kg": 8_000}))
        .await;
    let fill = json!([
        event(
            3,
            json!({"kind": "redeemed", "booking_id": older, "lane": 1, "known": true})
        ),
        event(
            4,
            json!({"kind": "fill", "booking_id": older, "lane": 1, "kg": 5.0, "amount_paise": 40_000})
        ),
    ]);
    let (status, body) = device.push(&w.app, fill).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(receipt(&w, older).await["fill_paise"], 38_000);
    assert_eq!(case_kinds(&w).await.len(), kinds.len(), "no new case");
}
