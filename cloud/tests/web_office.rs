//! The station's back office in the browser: takings as a chart with the ledger CSV,
//! cases resolved with a note, prices and policies saved (and refused in words), the
//! price history and the staff — for the station's admins only; and the driver's receipt.

#![allow(clippy::unwrap_used)] // a test: a panic is a failure

mod common;

use common::app::future_slot;
use common::browser::Browser;
use common::paying::{book_online, pay_in_test_mode};
use common::world::world;
use gasq_cloud::app::payments::pass;
use gasq_shared::StationId;
use reqwest::StatusCode;

#[tokio::test]
async fn the_station_admin_reads_the_takings_resolves_a_case_and_sets_prices() {
    let w = world().await;
    // A paid booking, and a case for the admin to look into.
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    pay_in_test_mode(&w, b["id"].as_str().unwrap()).await;
    pass::money_pass(&w.app.app).await.unwrap();
    let station = StationId::new(u32::try_from(w.station).unwrap()).unwrap();
    let detail = "payment pay_X was settled as ₹400.00 but GasQ recorded ₹456.00".to_owned();
    let store = &w.app.app.store;
    store
        .raise_case(
            station,
            None,
            "amount_differs",
            "pay_X",
            detail,
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    let mut admin = Browser::new(w.app.url(""));
    admin.sign_in("admin@example.in", "staff-pass-1").await;
    let office = format!("/admin/stations/{}/office", w.station);
    let page = admin.get(&office).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Takings, last 14 days") && page.body.contains("<svg role=\"img\""));
    assert!(
        page.body.contains("₹456.00"),
        "today's payment counted: {}",
        page.body
    );
    assert!(
        page.body.contains("settled as ₹400.00"),
        "the case: {}",
        page.body
    );
    assert!(
        page.body.contains("Station admin"),
        "the staff: {}",
        page.body
    );
    // The lane board and the office are one tap apart.
    assert!(
        admin
            .get(&format!("/admin/stations/{}", w.station))
            .await
            .body
            .contains(&office)
    );

    // The ledger for the accountant.
    let csv = admin
        .get(&format!("/admin/stations/{}/ledger.csv", w.station))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.starts_with("date,time,booking_id,kind"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains(",capture,456.00,456.00,"), "{}", csv.body);

    // Prices: saved, kept in the history, and what the API says.
    let settings = format!("/admin/stations/{}/settings", w.station);
    let saved = admin
        .post(&settings, &[("price", "80"), ("cancel_fee", "25.50")])
        .await;
    assert!(saved.body.contains("Saved"), "{}", saved.body);
    assert!(
        saved.body.contains("₹80.00 / kg"),
        "the history: {}",
        saved.body
    );
    let (_, api) = w
        .app
        .get(&format!("/api/v1/stations/{}", w.station), None)
        .await;
    assert_eq!(api["price_paise_per_kg"], 8_000, "{api}");
    // Not a number, or out of the use case's bounds: refused in words, nothing saved.
    let bad = admin.post(&settings, &[("wait_target", "soon")]).await;
    assert!(
        bad.body
            .contains("Walk-in wait target (minutes): enter a number"),
        "{}",
        bad.body
    );
    let out = admin.post(&settings, &[("wait_target", "500")]).await;
    assert!(out.body.contains("wait target minutes"), "{}", out.body);
    let forged = admin.post_forged(&settings, &[("price", "1")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (_, api) = w
        .app
        .get(&format!("/api/v1/stations/{}", w.station), None)
        .await;
    assert_eq!(api["price_paise_per_kg"], 8_000);

    // The case, resolved with what was done, leaves the list.
    let case = page
        .body
        .split("/cases/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let path = format!("/admin/stations/{}/cases/{case}/resolve", w.station);
    let empty = admin.post(&path, &[("resolution", " ")]).await;
    assert!(empty.body.contains("note is empty"), "{}", empty.body);
    let done = admin
        .post(&path, &[("resolution", "Razorpay support confirmed ₹456")])
        .await;
    assert!(
        done.body.contains("Resolved.") && !done.body.contains("settled as ₹400.00"),
        "{}",
        done.body
    );

    // A driver is not staff.
    let mut driver = Browser::new(w.app.url(""));
    driver.sign_in("driver1@example.in", "driver-pass-1").await;
    assert_eq!(driver.get(&office).await.status, StatusCode::FORBIDDEN);
    let csv = driver
        .get(&format!("/admin/stations/{}/ledger.csv", w.station))
        .await;
    assert_eq!(csv.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_driver_reads_the_receipt_of_a_paid_booking_cancelled_and_refunded() {
    let w = world().await;
    let b = book_online(&w, future_slot(3), Some(6.0)).await;
    let id = b["id"].as_str().unwrap();
    pay_in_test_mode(&w, id).await;
    w.cancel(id).await;
    pass::money_pass(&w.app.app).await.unwrap();
    let mut driver = Browser::new(w.app.url(""));
    driver.sign_in("driver1@example.in", "driver-pass-1").await;
    let page = driver.get(&format!("/bookings/{id}")).await;
    assert!(
        page.body.contains(&format!("/bookings/{id}/receipt")),
        "{}",
        page.body
    );
    let receipt = driver.get(&format!("/bookings/{id}/receipt")).await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.body);
    assert!(
        receipt.body.contains("₹76.00 / kg") && receipt.body.contains("₹456.00"),
        "{}",
        receipt.body
    );
    assert!(receipt.body.contains("Refunded"), "{}", receipt.body);
    // Another driver's receipt is nobody's business.
    let mut other = Browser::new(w.app.url(""));
    w.app.driver(2).await;
    other.sign_in("driver2@example.in", "driver-pass-1").await;
    let theirs = other.get(&format!("/bookings/{id}/receipt")).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}
