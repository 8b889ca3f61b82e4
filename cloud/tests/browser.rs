//! The web pages in a real browser (headless Chromium as a 390 px phone): a driver
//! signs up, taps a slot and finds the form in view, pays online on the test-mode page,
//! sees the QR and code, reads the site in Hindi — and, the network gone, still gets
//! the booking page with its QR from the service worker. The station admin's lane board
//! and the public board fit the phone too. Every key page is checked for sideways
//! scrolling and saved as a screenshot under `target/screenshots/` for review.

#![allow(clippy::unwrap_used)] // a test: a panic is a failure

mod common;

use common::webdriver::Chromium;
use common::world::world;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_books_pays_and_keeps_the_qr_with_no_network_on_a_phone() {
    let Some(chromium) = Chromium::start().await else {
        return;
    };
    let w = world().await;
    let base = w.app.url("");
    let tab = chromium.phone("en").await;

    // Sign up.
    tab.goto(&format!("{base}/register")).await;
    assert!(
        !tab.scrolls_sideways().await,
        "the sign-up page fits a phone"
    );
    tab.screenshot("register").await;
    tab.type_into("#name", "Asha Patil").await;
    tab.type_into("#phone", "9822012345").await;
    tab.type_into("#email", "asha@example.in").await;
    tab.type_into("#password", "asha-long-pass").await;
    tab.click("form button").await;
    tab.wait_for(
        "signed in",
        "return !location.pathname.startsWith('/register')",
    )
    .await;

    // The picker opens at the current time; a tap puts the form in view.
    tab.goto(&format!("{base}/stations/{}", w.station)).await;
    assert!(!tab.scrolls_sideways().await, "the picker fits a phone");
    tab.screenshot("picker").await;
    let first = tab
        .run("var a = document.querySelector('a.slot:not(.full)'); return a.getBoundingClientRect().top")
        .await;
    assert!(
        first.as_f64().unwrap() < 1_200.0,
        "the first free slot is near the top: {first}"
    );
    tab.click("a.slot:not(.full)").await;
    tab.wait_for(
        "the booking form in view",
        "var f = document.getElementById('book'); if (!f) return false; \
         var r = f.getBoundingClientRect(); return r.top >= -1 && r.top < window.innerHeight",
    )
    .await;
    tab.type_into("#registration", "MH12QR2468").await;
    tab.type_into("#kg", "6").await;
    tab.click("input[name=payment][value=online]").await;
    tab.click("#book button").await;

    // The test-mode checkout, then the booking with its QR.
    tab.wait_for(
        "the checkout page",
        "return location.pathname.startsWith('/pay/')",
    )
    .await;
    assert!(tab.source().await.contains("TEST MODE"));
    tab.screenshot("pay").await;
    tab.click("button[value=pay]").await;
    tab.wait_for(
        "the payment confirmed",
        "var r = document.getElementById('result'); return !!r && !r.textContent.includes('…')",
    )
    .await;
    tab.click("a[data-booking]").await;
    tab.wait_for(
        "the booking page",
        "return /^\\/bookings\\/[0-9a-f-]+$/.test(location.pathname)",
    )
    .await;
    let booking = tab.url().await;
    let page = tab.source().await;
    assert!(
        page.contains("title=\"QR\"") && page.contains("<svg"),
        "{page}"
    );
    assert!(
        !tab.scrolls_sideways().await,
        "the booking page fits a phone"
    );
    tab.screenshot("booking").await;

    // The service worker keeps it: wait until it controls the page and has the page.
    tab.goto(&booking).await;
    tab.wait_for(
        "the service worker in control",
        "return !!navigator.serviceWorker && !!navigator.serviceWorker.controller",
    )
    .await;
    tab.goto(&booking).await;
    tab.wait_for(
        "the page kept",
        "if (!window.__kept) { window.__kept = 'asking'; caches.open('gasq-bookings-v1')\
           .then(c => c.match(location.href)).then(hit => window.__kept = !!hit); }\
         return window.__kept === true",
    )
    .await;

    // Hindi, switched and remembered.
    tab.goto(&format!("{base}/lang/hi")).await;
    tab.goto(&format!("{base}/bookings")).await;
    let hindi = tab.source().await;
    assert!(
        hindi.contains("lang=\"hi\"") && hindi.contains("मेरी बुकिंग"),
        "{hindi}"
    );
    assert!(!tab.scrolls_sideways().await, "Hindi fits a phone");
    tab.screenshot("bookings-hi").await;
    tab.goto(&format!("{base}/lang/en")).await;

    // The station admin's lane board and the public board, on a phone too.
    let admin = chromium.phone("en").await;
    admin.goto(&format!("{base}/login")).await;
    admin.type_into("#login", "admin@example.in").await;
    admin.type_into("#password", "staff-pass-1").await;
    admin.click("form button").await;
    admin
        .wait_for(
            "the lane board",
            "return location.pathname.startsWith('/admin/stations/')",
        )
        .await;
    assert!(
        !admin.scrolls_sideways().await,
        "the lane board fits a phone"
    );
    admin.screenshot("lane-board").await;
    admin
        .goto(&format!("{base}/admin/stations/{}/office", w.station))
        .await;
    assert!(!admin.scrolls_sideways().await, "the office fits a phone");
    admin.screenshot("office").await;
    admin.goto(&format!("{base}/s/MUM-0042")).await;
    assert!(
        !admin.scrolls_sideways().await,
        "the public board fits a phone"
    );
    admin.screenshot("public-board").await;
    admin.close().await;

    // The network gone: the booking page still shows its QR.
    w.app.stop();
    tab.goto(&booking).await;
    let offline = tab.source().await;
    assert!(
        offline.contains("title=\"QR\"") && offline.contains("<svg"),
        "{offline}"
    );
    tab.screenshot("booking-offline").await;
    tab.close().await;
}
