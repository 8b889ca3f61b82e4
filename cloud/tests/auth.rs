//! Accounts and sessions through the HTTP API.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use chrono::{SecondsFormat, Utc};
use common::app::{spawn_app, spawn_with};
use common::db::TestDb;
use gasq_cloud::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

crate::on_both_backends!(
    databases:
    logins_logouts_and_reused_refresh_tokens_are_audited,
);

#[tokio::test]
async fn a_driver_registers_logs_in_by_email_or_phone_and_sees_themselves() {
    let app = spawn_app().await;
    let body = json!({"name": "Asha", "email": "Asha@Example.in", "phone": "98765 43210", "password": "long-enough"});
    let (status, created) = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let by_email = app.login("asha@example.in", "long-enough").await;
    let by_phone = app.login("+91 98765 43210", "long-enough").await;
    assert_eq!(by_email.user_id, created["id"].as_str().unwrap());
    assert_eq!(by_phone.user_id, by_email.user_id);
    let (_, me) = app.get("/api/v1/me", Some(&by_email.token)).await;
    assert_eq!(
        (me["email"].as_str(), me["phone"].as_str()),
        (Some("asha@example.in"), Some("+919876543210"))
    );
    assert_eq!(me["role"], "driver");
}

#[tokio::test]
async fn personal_data_is_not_stored_in_clear() {
    let db = TestDb::sqlite();
    let app = common::app::spawn_app_on(db).await;
    app.post("/api/v1/auth/register", None, json!({"name": "Ravi", "email": "ravi@example.in", "phone": "9123456789", "password": "long-enough"})).await;
    let file = app
        .app
        .settings
        .effective_database_url()
        .replace("sqlite://", "");
    let bytes = std::fs::read(&file).unwrap_or_default();
    let wal = std::fs::read(format!("{file}-wal")).unwrap_or_default();
    for needle in [&b"ravi@example.in"[..], b"9123456789"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "found in database file"
        );
        assert!(
            !wal.windows(needle.len()).any(|w| w == needle),
            "found in WAL"
        );
    }
}

#[tokio::test]
async fn registering_twice_or_with_bad_fields_gets_clear_errors() {
    let app = spawn_app().await;
    app.driver(1).await;
    let dup = json!({"name": "Again", "email": "driver1@example.in", "phone": "9000000099", "password": "long-enough"});
    let (status, p) = app.post("/api/v1/auth/register", None, dup).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("account_exists"))
    );
    for (field, body) in [
        (
            "email",
            json!({"name": "x", "email": "nope", "phone": "9000000001", "password": "long-enough"}),
        ),
        (
            "phone",
            json!({"name": "x", "email": "a@b.in", "phone": "12", "password": "long-enough"}),
        ),
        (
            "password",
            json!({"name": "x", "email": "a@b.in", "phone": "9000000001", "password": "short"}),
        ),
    ] {
        let (status, p) = app.post("/api/v1/auth/register", None, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn a_refresh_token_works_once_and_reusing_it_ends_the_session() {
    // No grace for racing requests: the second use is a theft at once.
    let app = spawn_with(TestDb::sqlite(), |s| s.auth.refresh_reuse_grace_secs = 0).await;
    let s = app.driver(1).await;
    let (status, first) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": s.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["token_type"], "Bearer");
    assert!(first["expires_in"].as_i64().unwrap() <= 900);
    let (status, reuse) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": s.refresh}),
        )
        .await;
    assert_eq!(
        (status, reuse["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("refresh_token_reused"))
    );
    // The thief's reuse also ended the legitimate successor.
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refreshes_racing_with_one_token_within_the_grace_both_keep_the_session() {
    let app = spawn_app().await;
    let s = app.driver(1).await;
    let body = json!({"refresh_token": s.refresh});
    let (a, b) = tokio::join!(
        app.post("/api/v1/auth/refresh", None, body.clone()),
        app.post("/api/v1/auth/refresh", None, body.clone())
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{a:?} {b:?}");
    // Each got its own successor, and each goes on working.
    assert_ne!(a.1["refresh_token"], b.1["refresh_token"]);
    for next in [&a.1, &b.1] {
        let body = json!({"refresh_token": next["refresh_token"]});
        let (status, res) = app.post("/api/v1/auth/refresh", None, body).await;
        assert_eq!(status, StatusCode::OK, "{res}");
    }
}

#[tokio::test]
async fn past_ten_wrong_passwords_an_unknown_device_waits_even_with_the_right_one() {
    // A wait of an hour: the answer cannot depend on how fast this test runs.
    let app = spawn_with(TestDb::sqlite(), |s| s.rate_limits.login_delay_secs = 3600).await;
    app.driver(1).await;
    for _ in 0..10 {
        let (status, _) = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"login": "driver1@example.in", "password": "wrong-password"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "driver1@example.in", "password": "driver-pass-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn one_address_is_limited_on_the_auth_routes() {
    let app = spawn_with(TestDb::sqlite(), |s| {
        s.rate_limits.auth_requests_per_ip_per_minute = 5
    })
    .await;
    let attempt = || {
        app.post(
            "/api/v1/auth/login",
            None,
            json!({"login": "nobody@example.in", "password": "whatever-1"}),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt().await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, p) = attempt().await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    // Other routes are not affected.
    assert_eq!(app.get("/api/v1/stations", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_tampered_or_missing_access_token_is_401_with_what_to_do() {
    let app = spawn_app().await;
    let s = app.driver(1).await;
    let (status, p) = app.get("/api/v1/me", None).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    // Change the signature's first character: all of its bits count (the last one's
    // low bits may be padding a lenient decoder ignores).
    let at = s.token.rfind('.').unwrap() + 1;
    let other = if s.token[at..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    let forged = format!("{}{other}{}", &s.token[..at], &s.token[at + 1..]);
    let (status, p) = app.get("/api/v1/me", Some(&forged)).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
}

async fn logins_logouts_and_reused_refresh_tokens_are_audited(db: TestDb) {
    let app = spawn_with(db, |s| s.auth.refresh_reuse_grace_secs = 0).await;
    let root = app.user_with_role(Role::SuperAdmin, "root").await;
    let since = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    let first = app.driver(1).await;
    let (status, _) = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": first.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let second = app.login("driver1@example.in", "driver-pass-1").await;
    let refresh = json!({"refresh_token": second.refresh});
    let (status, _) = app
        .post("/api/v1/auth/refresh", None, refresh.clone())
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.post("/api/v1/auth/refresh", None, refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let audit = |query: String| {
        let app = &app;
        let token = root.token.clone();
        async move {
            let (status, page) = app
                .get(&format!("/api/v1/audit?{query}"), Some(&token))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page["entries"].as_array().unwrap().clone()
        }
    };
    let driver = &first.user_id;
    for (action, count) in [
        ("auth.login", 2),
        ("auth.logout", 1),
        ("auth.refresh_reused", 1),
    ] {
        let entries = audit(format!("action={action}&actor_id={driver}")).await;
        assert_eq!(entries.len(), count, "{action}: {entries:?}");
        for e in &entries {
            assert_eq!(e["actor_role"], "driver", "{e}");
            assert_eq!(e["target"], format!("user:{driver}"), "{e}");
            assert_eq!(e["ip"], "127.0.0.1", "{e}");
        }
    }
    // The reuse names the session it ended: the second login's.
    let reused = &audit(format!("action=auth.refresh_reused&actor_id={driver}")).await[0];
    let second_login = &audit(format!("action=auth.login&actor_id={driver}")).await[0];
    assert_eq!(
        reused["detail"]["session"],
        second_login["detail"]["session"]
    );

    // By actor: everything the driver did, and no entry for the ordinary refresh.
    let mut actions: Vec<String> = audit(format!("actor_id={driver}"))
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            "auth.login",
            "auth.login",
            "auth.logout",
            "auth.refresh_reused",
            "user.create"
        ]
    );
    // By time: the root's login came before `since`, the driver's after it.
    let actor = |entries: Vec<Value>| -> Vec<String> {
        entries
            .iter()
            .map(|e| e["actor_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        actor(audit(format!("action=auth.login&until={since}")).await),
        std::slice::from_ref(&root.user_id)
    );
    assert_eq!(
        actor(audit(format!("action=auth.login&since={since}")).await),
        [driver.clone(), driver.clone()]
    );
}
