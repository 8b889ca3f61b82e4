//! Login guessing without lockouts ("Login guessing", docs/architecture.md): failures
//! count per account — by e-mail and by phone together — and per client address; past
//! a limit attempts are slowed (429 with `Retry-After`), and a browser or app that has
//! signed in before (its device cookie) keeps logging in through an attack.
//!
//! Every app here waits an hour after a limit, so no assertion depends on how fast the
//! test runs.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::app::{TestApp, spawn_with};
use common::db::TestDb;
use gasq_cloud::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::on_both_backends!(
    databases:
    guesses_by_email_then_by_phone_count_against_one_account,
    a_device_that_signed_in_before_keeps_logging_in_during_an_attack,
    one_address_guessing_across_accounts_is_slowed_but_known_devices_are_not,
);

const RIGHT: &str = "driver-pass-1";

fn slow(s: &mut Settings) {
    s.rate_limits.login_delay_secs = 3600;
}

/// What a login answered: status, body, the device cookie it set, `Retry-After`.
struct Answer {
    status: StatusCode,
    body: Value,
    cookie: Option<String>,
    retry_after: Option<u64>,
}

async fn login(app: &TestApp, login: &str, password: &str, cookie: Option<&str>) -> Answer {
    let mut req = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": login, "password": password}));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("theme=dark; gasq_device={c}"));
    }
    let res = req.send().await.unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let cookie = header("set-cookie").map(|c| {
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict"),
            "{c}"
        );
        let value = c.split(';').next().unwrap();
        value.strip_prefix("gasq_device=").unwrap().to_owned()
    });
    let retry_after = header("retry-after").map(|v| v.parse().unwrap());
    Answer {
        status: res.status(),
        cookie,
        retry_after,
        body: res.json().await.unwrap(),
    }
}

fn assert_slowed(a: &Answer) {
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert_eq!(a.body["code"], "rate_limited");
    assert!(a.retry_after.is_some_and(|s| s > 0), "Retry-After");
}

async fn guesses_by_email_then_by_phone_count_against_one_account(db: TestDb) {
    let app = spawn_with(db, slow).await;
    app.driver(1).await; // driver1@example.in, 9800000001
    app.driver(2).await;
    for _ in 0..5 {
        let a = login(&app, "driver1@example.in", "guess-1234", None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    }
    for _ in 0..5 {
        let a = login(&app, "+91 98000 00001", "guess-1234", None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    }
    // Ten guesses, half by each name: the account is slowed, by either name, even for
    // the right password from a device it has not seen — but not shut: the answer says
    // when to try again.
    assert_slowed(&login(&app, "9800000001", RIGHT, None).await);
    let by_email = login(&app, "driver1@example.in", RIGHT, None).await;
    assert_slowed(&by_email);
    let detail = by_email.body["detail"].as_str().unwrap();
    assert!(detail.contains("try again in"), "{detail}");
    // Other accounts are untouched.
    assert_eq!(
        login(&app, "driver2@example.in", RIGHT, None).await.status,
        StatusCode::OK
    );
}

async fn a_device_that_signed_in_before_keeps_logging_in_during_an_attack(db: TestDb) {
    let app = spawn_with(db, slow).await;
    app.driver(1).await;
    app.driver(2).await;
    // The victim's browser and phone app signed in before the attack.
    let browser = login(&app, "driver1@example.in", RIGHT, None).await;
    let app_token = login(&app, "9800000001", RIGHT, None).await.body["device_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = browser.cookie.unwrap();
    let other = login(&app, "driver2@example.in", RIGHT, None)
        .await
        .cookie
        .unwrap();
    for _ in 0..12 {
        let a = login(&app, "driver1@example.in", "guess-1234", None).await;
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&a.status),
            "{}",
            a.body
        );
    }
    assert_slowed(&login(&app, "driver1@example.in", RIGHT, None).await);
    // The browser logs in through the attack, and gets a fresh cookie.
    let again = login(&app, "driver1@example.in", RIGHT, Some(&browser)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.cookie.is_some_and(|c| c != browser));
    // So does the app, sending its device_token in the body.
    let body = json!({"login": "9800000001", "password": RIGHT, "device_token": app_token});
    let (status, res) = app.post("/api/v1/auth/login", None, body).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    // Another account's cookie is no way around the slowdown.
    assert_slowed(&login(&app, "driver1@example.in", RIGHT, Some(&other)).await);
    // A stolen cookie used for guessing slows only itself.
    for _ in 0..10 {
        let a = login(&app, "driver1@example.in", "guess-1234", Some(&browser)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    }
    assert_slowed(&login(&app, "driver1@example.in", RIGHT, Some(&browser)).await);
    let body = json!({"login": "driver1@example.in", "password": RIGHT, "device_token": app_token});
    assert_eq!(
        app.post("/api/v1/auth/login", None, body).await.0,
        StatusCode::OK
    );
}

async fn one_address_guessing_across_accounts_is_slowed_but_known_devices_are_not(db: TestDb) {
    let app = spawn_with(db, |s| {
        slow(s);
        s.rate_limits.login_failures_per_ip = 3;
    })
    .await;
    for n in 1..=4 {
        app.driver(n).await;
    }
    let known = login(&app, "driver4@example.in", RIGHT, None)
        .await
        .cookie
        .unwrap();
    for n in 1..=3 {
        let a = login(&app, &format!("driver{n}@example.in"), "guess-1234", None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    }
    // Three failures from this address over three accounts: the next attempt, on any
    // account, waits.
    assert_slowed(&login(&app, "driver4@example.in", RIGHT, None).await);
    assert_slowed(&login(&app, "nobody@example.in", "guess-1234", None).await);
    let a = login(&app, "driver4@example.in", RIGHT, Some(&known)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}
