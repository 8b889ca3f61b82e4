//! Messages through the real `gasq-cloud` binary against local fake Twilio and SMTP
//! servers speaking their real protocols: a basic phone books and checks by SMS (the
//! webhook signed as Twilio signs it), a driver who prefers SMS gets the confirmation
//! through Twilio's Messages API, and one who prefers e-mail gets it over SMTP. (The
//! rest of the message flows run in-process against the same fakes: `messages.rs`,
//! `sms.rs`, `ivr.rs`, `waitlist.rs`.)

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use std::time::{Duration, Instant};

use common::served::Served;
use common::smtp::FakeSmtp;
use common::twilio::{FROM, FakeTwilio, SID, TOKEN};
use gasq_cloud::messages::twilio_signature;
use serde_json::{Value, json};

const PUBLIC: &str = "https://gasq.test";

struct Client {
    http: reqwest::Client,
    served: Served,
}

impl Client {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(self.served.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let res = self.http.get(self.served.url(path)).send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    async fn patch(&self, path: &str, token: &str, body: Value) {
        let res = self
            .http
            .patch(self.served.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    /// A new driver (registered and signed in) with a vehicle; their token and its id.
    async fn driver(&self, n: u32, prefer: &str) -> (String, String) {
        let email = format!("bin{n}@example.in");
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"name": format!("Driver {n}"), "email": email, "phone": format!("97{n:08}"), "password": "driver-pass-1"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (_, login) = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"login": email, "password": "driver-pass-1"}),
            )
            .await;
        let token = login["access_token"].as_str().unwrap().to_owned();
        self.patch("/api/v1/me", &token, json!({"notify_by": prefer}))
            .await;
        let (_, v) = self
            .post(
                "/api/v1/vehicles",
                Some(&token),
                json!({"registration": format!("MH12BN{n:04}")}),
            )
            .await;
        (token, v["id"].as_str().unwrap().to_owned())
    }

    /// An SMS from `from`, posted and signed as Twilio would; the reply's text.
    async fn text(&self, from: &str, body: &str, sid: &str) -> String {
        let params: Vec<(String, String)> = [
            ("MessageSid", sid),
            ("AccountSid", SID),
            ("From", from),
            ("To", FROM),
            ("Body", body),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let sig = twilio_signature::sign(TOKEN, &format!("{PUBLIC}/api/v1/sms/inbound"), &params);
        let res = self
            .http
            .post(self.served.url("/api/v1/sms/inbound"))
            .header("x-twilio-signature", sig)
            .form(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let twiml = res.text().await.unwrap();
        twiml
            .split("<Message>")
            .nth(1)
            .and_then(|m| m.split("</Message>").next())
            .unwrap_or_default()
            .to_owned()
    }
}

/// Waits (the server's notifications worker runs every second) until `found` is some.
async fn eventually<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(t) = found() {
            return t;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sms_and_email_go_through_the_real_binary_to_twilio_and_smtp() {
    let twilio = FakeTwilio::start().await;
    let smtp = FakeSmtp::start().await;
    let (twilio_url, smtp_url) = (twilio.url.clone(), smtp.url.clone());
    let served = tokio::task::spawn_blocking(move || {
        Served::start(&[
            ("GASQ_PUBLIC_URL", PUBLIC),
            ("GASQ_TWILIO_BASE_URL", &twilio_url),
            ("GASQ_TWILIO_ACCOUNT_SID", SID),
            ("GASQ_TWILIO_AUTH_TOKEN", TOKEN),
            ("GASQ_TWILIO_FROM", FROM),
            ("GASQ_SMTP_URL", &smtp_url),
            ("GASQ_NOTIFICATIONS__WORKER_INTERVAL_SECS", "1"),
        ])
    })
    .await
    .unwrap();
    let c = Client {
        http: reqwest::Client::new(),
        served,
    };
    let station = c.get("/api/v1/stations").await[0].clone();
    let id = station["id"].as_u64().unwrap();
    // A slot an hour or more ahead, today, with places.
    let slots = c.get(&format!("/api/v1/stations/{id}/slots")).await;
    let soon = chrono::Utc::now() + chrono::Duration::hours(1);
    let slot = slots
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["available"].as_u64().unwrap() > 0
                && s["start"]
                    .as_str()
                    .unwrap()
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap()
                    > soon
        })
        .expect("a free slot later today")
        .clone();
    let start: chrono::DateTime<chrono::Utc> = slot["start"].as_str().unwrap().parse().unwrap();
    let hhmm = start
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .format("%H:%M")
        .to_string();

    // A basic phone books and checks by SMS; the reply is the confirmation.
    let phone = "+919811100001";
    let reply = c
        .text(
            phone,
            &format!("BOOK MUM-0042 {hhmm} 8 MH01BN9999"),
            "SMbin1",
        )
        .await;
    assert!(reply.starts_with("GasQ: booked"), "{reply}");
    let code = reply.split("Code ").nth(1).unwrap()[..8].to_owned();
    let status = c.text(phone, "STATUS", "SMbin2").await;
    assert!(status.contains(&code), "{status}");

    // A driver who prefers SMS: the confirmation goes through Twilio's Messages API.
    let (sms_driver, car) = c.driver(1, "sms").await;
    let (status, b) = c
        .post(
            "/api/v1/bookings",
            Some(&sms_driver),
            json!({"station_id": id, "vehicle_id": car, "slot_start": slot["start"], "payment_method": "at_station"}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let code = b["code"].as_str().unwrap().to_owned();
    let sms = eventually("a confirmation SMS at Twilio", || {
        twilio
            .messages()
            .into_iter()
            .find(|m| m.body.contains(&code))
    })
    .await;
    assert_eq!(sms.to, "+919700000001");
    assert!(sms.body.starts_with("GasQ: booked"), "{}", sms.body);

    // A driver who prefers e-mail: over SMTP.
    let (mail_driver, car) = c.driver(2, "email").await;
    let (status, b) = c
        .post(
            "/api/v1/bookings",
            Some(&mail_driver),
            json!({"station_id": id, "vehicle_id": car, "slot_start": slot["start"], "payment_method": "at_station"}),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let code = b["code"].as_str().unwrap().to_owned();
    let mail = eventually("a confirmation e-mail over SMTP", || {
        smtp.mails().into_iter().find(|m| m.data.contains(&code))
    })
    .await;
    assert!(mail.to[0].contains("bin2@example.in"), "{mail:?}");
}
