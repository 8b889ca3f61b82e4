//! The driver's web pages through HTTP, as a browser uses them: sign up, the slot
//! picker from the current time, booking the slot tapped, the booking's QR and code,
//! staying signed in when the short session lapses (the refresh cookie), the CSRF check
//! on every form, Hindi, and signing out.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{DateTime, Utc};
use common::browser::Browser;
use common::world::world;
use reqwest::StatusCode;

/// The `href`s of the page that start with `prefix`.
fn links<'a>(body: &'a str, prefix: &str) -> Vec<&'a str> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|h| h.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn a_driver_signs_up_books_the_slot_tapped_and_sees_the_qr_and_code() {
    let w = world().await;
    let mut b = Browser::new(w.app.url(""));
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Station MUM-0042"), "{}", home.body);
    assert!(b.cookies.contains_key("gasq_csrf"));

    // Sign up: the contract's fields, then signed in.
    let signup = b.get("/register").await;
    for field in [
        "name=\"name\"",
        "name=\"email\"",
        "name=\"phone\"",
        "name=\"password\"",
    ] {
        assert!(signup.body.contains(field), "{field}");
    }
    let done = b
        .post(
            "/register",
            &[
                ("name", "Asha"),
                ("email", "asha@example.in"),
                ("phone", "9822012345"),
                ("password", "asha-pass-1"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(b.cookies.contains_key("gasq_session") && b.cookies.contains_key("gasq_refresh"));

    // The picker opens at the current time: no slot that has ended.
    let picker = b.get(&format!("/stations/{}", w.station)).await;
    assert_eq!(picker.status, StatusCode::OK);
    let taps = links(&picker.body, &format!("/stations/{}?slot=", w.station));
    assert!(!taps.is_empty(), "{}", picker.body);
    let first: DateTime<Utc> = taps[0]
        .split("slot=")
        .nth(1)
        .unwrap()
        .trim_end_matches("#book")
        .replace("%2B", "+")
        .replace("&#43;", "+")
        .parse()
        .unwrap();
    assert!(
        first + chrono::Duration::minutes(15) > Utc::now(),
        "{first}"
    );
    // Tapping a slot: the form, anchored so it is in view.
    let tap = taps[3].replace("&amp;", "&");
    assert!(tap.ends_with("#book"), "{tap}");
    let form = b.get(tap.trim_end_matches("#book")).await;
    assert!(form.body.contains("id=\"book\""), "{}", form.body);
    let slot = tap
        .split("slot=")
        .nth(1)
        .unwrap()
        .trim_end_matches("#book")
        .to_owned();

    let booked = b
        .post(
            &format!("/stations/{}/book", w.station),
            &[
                ("slot", &slot),
                ("registration", "MH14WB0001"),
                ("kg", ""),
                ("payment", "at_station"),
            ],
        )
        .await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    let page_path = booked.location.unwrap();
    assert!(page_path.starts_with("/bookings/"), "{page_path}");
    let page = b.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg") && page.body.contains("title=\"QR\""));
    assert!(page.body.contains("Station MUM-0042") && page.body.contains("Directions"));
    let code = page
        .body
        .split("class=\"code\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 8, "{code}");
    let list = b.get("/bookings").await;
    assert!(list.body.contains(&code), "{}", list.body);

    // A closed tab, the short session gone: the refresh cookie signs the driver back in.
    b.cookies.remove("gasq_session");
    let again = b.get("/bookings").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.body.contains(&code));
    assert!(
        b.cookies.contains_key("gasq_session"),
        "a new session cookie"
    );
    // Two tabs whose session lapsed together both present the same refresh cookie: both
    // stay signed in, and so does the browser afterwards.
    b.cookies.remove("gasq_session");
    let mut other_tab = b.clone();
    let (one, two) = tokio::join!(b.get("/bookings"), other_tab.get("/bookings"));
    assert!(one.body.contains(&code) && two.body.contains(&code));
    b.cookies.remove("gasq_session");
    assert!(b.get("/bookings").await.body.contains(&code));

    // A form from another site (no CSRF token) changes nothing.
    let forged = b
        .post_forged(&format!("{page_path}/cancel"), &[("csrf", "guess")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(b.get(&page_path).await.body.contains("Confirmed"));

    // Hindi, remembered.
    let switched = b.get("/lang/hi").await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let hindi = b.get("/bookings").await;
    assert!(hindi.body.contains("मेरी बुकिंग") && hindi.body.contains("lang=\"hi\""));

    // Cancel, then sign out: the bookings page asks to sign in.
    let cancelled = b.post(&format!("{page_path}/cancel"), &[]).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert!(cancelled.body.contains("रद्द"), "{}", cancelled.body);
    let out = b.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let gone = b.get("/bookings").await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(gone.location.unwrap().starts_with("/login"));
}

#[tokio::test]
async fn a_wrong_password_says_what_to_do_and_the_browser_language_is_used() {
    let w = world().await;
    let mut b = Browser::new(w.app.url(""));
    b.accept_language = Some("hi-IN,hi;q=0.9,en;q=0.8".into());
    let form = b.get("/login").await;
    assert!(form.body.contains("lang=\"hi\"") && form.body.contains("पासवर्ड"));
    b.accept_language = None;
    b.get("/lang/en").await;
    let wrong = b
        .post(
            "/login",
            &[("login", "driver1@example.in"), ("password", "nope-nope-1")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("is not right"), "{}", wrong.body);
    assert!(
        wrong.body.contains("value=\"driver1@example.in\""),
        "the login is kept"
    );
    let right = b
        .post(
            "/login",
            &[
                ("login", "driver1@example.in"),
                ("password", "driver-pass-1"),
                ("next", "/bookings"),
            ],
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(right.location.as_deref(), Some("/bookings"));
    // A `next` to another site goes home instead.
    b.post("/logout", &[]).await;
    let away = b
        .post(
            "/login",
            &[
                ("login", "driver1@example.in"),
                ("password", "driver-pass-1"),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(away.location.as_deref(), Some("/"));
    b.post("/logout", &[]).await;
    let sneaky = b
        .post(
            "/login",
            &[
                ("login", "driver1@example.in"),
                ("password", "driver-pass-1"),
                ("next", "/\\evil.example/x"),
            ],
        )
        .await;
    assert_eq!(
        sneaky.location.as_deref(),
        Some("/"),
        "browsers read /\\ as //"
    );
    // A mangled booking link is a page that says so, not a parser's message.
    let odd = b.get("/bookings/not-a-booking").await;
    assert_eq!(odd.status, StatusCode::NOT_FOUND);
    assert!(odd.body.contains("<title>"), "{}", odd.body);
}

/// The next server-sent event's data from `res` (skipping keep-alive comments).
async fn next_board(res: &mut reqwest::Response, buffer: &mut String) -> serde_json::Value {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), res.chunk())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn the_public_board_shows_lanes_and_the_wait_live_and_nothing_personal() {
    use common::device::{TestDevice, event};
    let w = world().await;
    w.book(3).await;
    let mut b = Browser::new(w.app.url(""));
    // No box has reported: the board says it is not up to date.
    let page = b.get("/s/MUM-0042").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Lane 1") && page.body.contains("Lane 2"));
    assert!(
        page.body.contains("id=\"stale\" role"),
        "shown: {}",
        page.body
    );
    assert!(!page.body.contains("MH12AB1234"), "no registrations");
    assert_eq!(b.get("/s/NOPE-0001").await.status, StatusCode::NOT_FOUND);

    // The box pulls and reports a queue of 3: a walk-in waits 3 × 4 min / 2 lanes.
    let device = TestDevice::enroll(&w.app, &w.admin, w.station).await;
    device.pull(&w.app, 0).await;
    let (status, _) = device
        .push(
            &w.app,
            serde_json::json!([event(
                1,
                serde_json::json!({"kind": "queue", "waiting": 3, "lanes_up": 2})
            )]),
        )
        .await;
    assert_eq!(status, 200);
    let page = b.get("/s/MUM-0042").await;
    assert!(page.body.contains("id=\"stale\" hidden"), "{}", page.body);
    assert!(page.body.contains(">6 min<"), "{}", page.body);

    // Live: the events stream answers at once, then again when a lane goes down.
    let mut res = w
        .app
        .http
        .get(w.app.url("/s/MUM-0042/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    let first = next_board(&mut res, &mut buffer).await;
    assert_eq!(first["waiting"], 3);
    assert_eq!(first["lanes"][1]["up"], true);
    device
        .push(
            &w.app,
            serde_json::json!([event(
                2,
                serde_json::json!({"kind": "lane_fault", "lane": 2})
            )]),
        )
        .await;
    let next = next_board(&mut res, &mut buffer).await;
    assert_eq!(next["lanes"][1]["up"], false, "{next}");
    assert_eq!(next["lanes_up"], 1);
}

#[tokio::test]
async fn the_station_admin_sees_the_lane_board_takes_a_lane_out_and_finds_a_booking() {
    let w = world().await;
    let booking = w.book(1).await;
    let mut b = Browser::new(w.app.url(""));
    let signed = b.sign_in("admin@example.in", "staff-pass-1").await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let path = format!("/admin/stations/{}", w.station);
    let board = b.get(&path).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(board.body.contains("Lane 2"));
    assert!(
        board.body.contains("No box is reporting"),
        "said in red: {}",
        board.body
    );
    assert!(
        board.body.contains("<svg role=\"img\""),
        "the forecast chart"
    );
    assert!(board.body.contains("2 of 2 lanes in service"));
    // With no box reporting, an open lane is not shown green: nobody confirms it serves.
    assert!(
        board
            .body
            .contains("class=\"slot unknown\" data-lane=\"1\"")
            && board.body.contains("open, not confirmed"),
        "{}",
        board.body
    );

    // A lane out of service: capacity follows, the board says so.
    let out = b
        .post(&format!("{path}/lanes"), &[("change", "down")])
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);
    assert!(out.body.contains("1 of 2 lanes in service"), "{}", out.body);
    let (_, station) = w
        .app
        .get(&format!("/api/v1/stations/{}", w.station), None)
        .await;
    assert_eq!(station["lanes_in_service"], 1);
    // The public board agrees: one lane shown closed.
    let public = b.get("/s/MUM-0042").await;
    assert!(
        public.body.contains("class=\"slot full\" data-lane=\"2\""),
        "{}",
        public.body
    );

    // The booking due within the hour, found by its code.
    let (_, seen) = w
        .app
        .get(
            &format!("/api/v1/bookings/{booking}"),
            Some(&w.driver.token),
        )
        .await;
    let code = seen["code"].as_str().unwrap();
    let found = b.get(&format!("{path}?q={}", &code[..4])).await;
    assert!(found.body.contains(code), "{}", found.body);
    let none = b.get(&format!("{path}?q=ZZZZ")).await;
    assert!(!none.body.contains(code));

    // A driver is not staff.
    let mut d = Browser::new(w.app.url(""));
    d.sign_in("driver1@example.in", "driver-pass-1").await;
    assert_eq!(d.get(&path).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_technician_makes_a_code_that_stays_on_screen_enrols_a_box_and_revokes_it() {
    use common::device::TestDevice;
    let w = world().await;
    let root = w
        .app
        .user_with_role(gasq_cloud::domain::Role::SuperAdmin, "root2")
        .await;
    let tech = w
        .app
        .user_with_role(gasq_cloud::domain::Role::Technician, "tech")
        .await;
    w.app
        .post(
            &format!("/api/v1/stations/{}/staff", w.station),
            Some(&root.token),
            serde_json::json!({"user_id": tech.user_id}),
        )
        .await;
    let mut b = Browser::new(w.app.url(""));
    let signed = b.sign_in("tech@example.in", "staff-pass-1").await;
    assert_eq!(signed.location.as_deref(), Some("/tech"));
    let home = b.get("/tech").await;
    assert!(
        home.body.contains("Station MUM-0042") && home.body.contains("No box is enrolled"),
        "{}",
        home.body
    );

    let made = b
        .post(&format!("/tech/stations/{}/code", w.station), &[])
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let command = made
        .body
        .split("value=\"gasq-edge enroll ")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let code = command.split("--code ").nth(1).unwrap().to_owned();
    assert!(
        command.starts_with("--cloud http"),
        "the cloud's public address: {command}"
    );
    assert!(made.body.contains("title=\"QR\"") && made.body.contains(&code));
    assert!(
        !made.body.contains("http-equiv=\"refresh\""),
        "nothing wipes it"
    );

    // The box enrols with it and pulls: online on the page.
    let device = TestDevice::enroll_with(&w.app, &code).await.unwrap();
    device.pull(&w.app, 0).await;
    let home = b.get("/tech").await;
    assert!(home.body.contains("Online"), "{}", home.body);
    let revoke = links_of_forms(&home.body, "/tech/devices/");
    let gone = b.post(&revoke[0], &[]).await;
    assert!(gone.body.contains("Revoked"), "{}", gone.body);
    let (status, _) = device.push(&w.app, serde_json::json!([])).await;
    assert_eq!(status, 401, "cut off");
}

/// The `action`s of the page's forms that start with `prefix`.
fn links_of_forms(body: &str, prefix: &str) -> Vec<String> {
    body.split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|a| a.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_driver_sets_language_and_channel_and_keeps_vehicles_on_the_profile_page() {
    let w = world().await;
    let mut b = Browser::new(w.app.url(""));
    b.sign_in("driver1@example.in", "driver-pass-1").await;
    let me = b.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.body.contains("MH12AB1234"), "{}", me.body);
    // Hindi and e-mail: the messages follow, and so do the pages.
    let saved = b
        .post("/me", &[("language", "hi"), ("notify_by", "email")])
        .await;
    assert!(saved.body.contains("सहेजा गया"), "{}", saved.body);
    let (_, profile) = w.app.get("/api/v1/me", Some(&w.driver.token)).await;
    assert_eq!(
        (profile["language"].as_str(), profile["notify_by"].as_str()),
        (Some("hi"), Some("email"))
    );
    // A vehicle added, and one a live booking needs kept.
    let added = b
        .post("/me/vehicles", &[("registration", "MH12ME0001")])
        .await;
    assert!(added.body.contains("MH12ME0001"));
    w.book(3).await;
    let keep = b
        .post("/me/vehicles/remove", &[("vehicle", &w.vehicle)])
        .await;
    assert!(
        keep.body.contains("MH12AB1234") && keep.body.contains("बुकिंग अभी चालू"),
        "{}",
        keep.body
    );
    let bad = b
        .post("/me", &[("language", "xx"), ("notify_by", "pigeon")])
        .await;
    assert!(bad.body.contains("class=\"error\""), "{}", bad.body);
}
