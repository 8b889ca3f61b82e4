//! What a driver's phone downloads on first load: each driver page with the one script
//! (styles are inline), gzipped as a browser asks for it, stays under 50 KB — the
//! budget for a phone on a slow 3G link. Sizes, not times: this cannot flake.

#![allow(clippy::unwrap_used)] // a test: a panic is a failure

mod common;

use common::browser::Browser;
use common::world::world;
use reqwest::StatusCode;

const BUDGET: usize = 50 * 1024;

#[tokio::test]
async fn each_driver_page_with_its_script_is_under_50_kb_gzipped() {
    let w = world().await;
    let booking = w.book(3).await;
    let mut b = Browser::new(w.app.url(""));
    b.sign_in("driver1@example.in", "driver-pass-1").await;
    let (status, encoding, script) = b.get_gzipped("/static/app.js").await;
    assert_eq!(
        (status, encoding.as_deref()),
        (StatusCode::OK, Some("gzip"))
    );
    let station = format!("/stations/{}", w.station);
    let page = format!("/bookings/{booking}");
    for path in [
        "/",
        "/login",
        "/register",
        &station,
        "/bookings",
        &page,
        "/me",
    ] {
        let (status, encoding, bytes) = b.get_gzipped(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(encoding.as_deref(), Some("gzip"), "{path} is compressed");
        let total = bytes + script;
        eprintln!("{path}: {bytes} B + script {script} B = {total} B gzipped");
        assert!(total < BUDGET, "{path}: {total} bytes on first load");
    }
}
