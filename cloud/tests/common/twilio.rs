//! A fake Twilio on a real port: the Messages API (Basic auth with the account SID and
//! auth token checked; form-encoded sends; the list look-up), with knobs to fail the way
//! the real one can. Its messages are what drivers would have received.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use gasq_cloud::config::Settings;
use gasq_cloud::secret::Secret;
use serde_json::json;
use std::collections::HashMap;

pub const SID: &str = "ACfake00000000000000000000000000";
pub const TOKEN: &str = "fake_twilio_auth_token";
pub const FROM: &str = "+15005550006";

/// A message Twilio accepted.
#[derive(Debug, Clone)]
pub struct Sms {
    pub sid: String,
    pub to: String,
    pub body: String,
}

#[derive(Default)]
pub struct TwilioState {
    pub messages: Vec<Sms>,
    /// Answer the next N sends with a 500 (nothing sent).
    pub fail_next: u32,
    /// Refuse the next N sends with a 400 (as for a number that cannot take SMS).
    pub reject_next: u32,
    /// Accept the next N sends but answer after 3 s (longer than the cloud waits).
    pub slow_next: u32,
    pub calls: Vec<String>,
}

#[derive(Clone)]
pub struct FakeTwilio {
    pub url: String,
    pub state: Arc<Mutex<TwilioState>>,
}

impl FakeTwilio {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(TwilioState::default()));
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                post(send).get(list),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, state }
    }

    pub fn configure(&self, s: &mut Settings) {
        s.twilio.base_url = self.url.clone();
        s.twilio.account_sid = Some(SID.into());
        s.twilio.auth_token = Some(Secret::new(TOKEN));
        s.twilio.from = Some(FROM.into());
        s.twilio.timeout_secs = 2;
        // The tests run the notifications pass by hand.
        s.notifications.worker_interval_secs = 3600;
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut TwilioState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    pub fn messages(&self) -> Vec<Sms> {
        self.with(|s| s.messages.clone())
    }
}

type Shared = State<Arc<Mutex<TwilioState>>>;

fn authorized(headers: &HeaderMap, sid: &str) -> bool {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"))
    );
    sid == SID && headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&expected)
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": 20003, "message": message, "status": status.as_u16()})),
    )
        .into_response()
}

async fn send(
    state: Shared,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers, &sid) {
        return error(StatusCode::UNAUTHORIZED, "Authenticate");
    }
    let slow = {
        let mut s = state.lock().unwrap();
        s.calls.push("POST".into());
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error");
        }
        if s.reject_next > 0 {
            s.reject_next -= 1;
            return error(
                StatusCode::BAD_REQUEST,
                "The 'To' number is not a valid phone number.",
            );
        }
        let (Some(to), Some(body)) = (form.get("To"), form.get("Body")) else {
            return error(StatusCode::BAD_REQUEST, "A 'To' and 'Body' are required");
        };
        if form.get("From").map(String::as_str) != Some(FROM) {
            return error(StatusCode::BAD_REQUEST, "The From number is not yours");
        }
        let sid = format!("SM{:032}", s.messages.len() + 1);
        s.messages.push(Sms {
            sid,
            to: to.clone(),
            body: body.clone(),
        });
        let slow = s.slow_next > 0;
        s.slow_next = s.slow_next.saturating_sub(1);
        slow
    };
    if slow {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let s = state.lock().unwrap();
    let m = s.messages.last().unwrap();
    (
        StatusCode::CREATED,
        axum::Json(json!({"sid": m.sid, "to": m.to, "body": m.body, "status": "queued"})),
    )
        .into_response()
}

async fn list(
    state: Shared,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers, &sid) {
        return error(StatusCode::UNAUTHORIZED, "Authenticate");
    }
    let s = state.lock().unwrap();
    let messages: Vec<_> = s
        .messages
        .iter()
        .filter(|m| q.get("To").is_none_or(|to| *to == m.to))
        .map(|m| json!({"sid": m.sid, "to": m.to, "body": m.body}))
        .collect();
    axum::Json(json!({"messages": messages})).into_response()
}
