//! The HTTP client for the cloud's edge API. Every call after enrollment carries a
//! fresh device JWT. Errors are sorted by what the caller should do about them: retry
//! later (network, 5xx, 429), fix the device's credentials (401/403), or give up on
//! this request's content (any other 4xx — the push loop then hunts the poison event).
//! The cloud's problem+json `detail` is kept, so the technician reads its words.

use std::sync::Arc;
use std::time::Duration;

use gasq_shared::problem::Problem;
use gasq_shared::sync::{
    ChangesResponse, EnrollRequest, EnrollResponse, EventBatch, EventsResponse,
};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::clock::TrustedClock;
use crate::db::DbError;
use crate::device::{Device, KeyError};

/// Why talking to the cloud failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach the cloud at {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("the cloud does not accept this device (HTTP {status}): {detail}")]
    Auth { status: u16, detail: String },
    #[error("the cloud refused the request (HTTP {status}): {detail}")]
    Refused { status: u16, detail: String },
    #[error("the cloud is failing (HTTP {status}): {detail}")]
    Server { status: u16, detail: String },
    #[error("the cloud's answer is not what this gasq-edge expects: {0}")]
    Protocol(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// An HTTP client with the timeouts an edge box on a flaky uplink wants.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("gasq-edge/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

fn endpoint(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// `POST /api/v1/edge/enroll` (no device JWT yet: the one-time code is the credential).
pub async fn enroll(
    http: &reqwest::Client,
    base: &str,
    request: &EnrollRequest,
) -> Result<EnrollResponse, SyncError> {
    let url = endpoint(base, "/api/v1/edge/enroll");
    send(http.post(&url).json(request), &url).await
}

/// The outbox's state, sent with every pull and push as query parameters
/// (`outbox_depth`, `oldest_unsent_at`, `quarantined`) so the cloud's dashboard shows how
/// fresh the station's data is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    pub outbox_depth: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_unsent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Events set aside after the cloud kept refusing them: the dashboard shows it.
    pub quarantined: u64,
}

impl From<&crate::outbox::OutboxStats> for Health {
    fn from(s: &crate::outbox::OutboxStats) -> Self {
        Self {
            outbox_depth: s.depth,
            oldest_unsent_at: s.oldest_unsent_at,
            quarantined: s.quarantined,
        }
    }
}

/// The cloud, as seen by an enrolled device.
#[derive(Debug, Clone)]
pub struct CloudClient {
    http: reqwest::Client,
    base: String,
    device: Device,
    /// Learns the cloud's time from every answer's `Date`; device JWTs are issued by it.
    clock: Arc<TrustedClock>,
}

impl CloudClient {
    pub fn new(http: reqwest::Client, base: &str, device: Device) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            device,
            clock: Arc::new(TrustedClock::new(None, 120)),
        }
    }

    /// The same client, keeping `clock` in step with the cloud's.
    pub fn with_clock(mut self, clock: Arc<TrustedClock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock this client keeps in step with the cloud's.
    pub fn clock(&self) -> &Arc<TrustedClock> {
        &self.clock
    }

    /// A device JWT issued by the trusted clock: a box whose clock is off still gets
    /// in once one answer has told it the cloud's time.
    fn jwt(&self) -> Result<String, KeyError> {
        self.device.jwt(self.clock.now().at.timestamp())
    }

    /// Sends, reading the cloud's time from the answer's `Date` (any answer: a 401 for
    /// a token from a wrong clock tells the time too).
    async fn send<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        url: &str,
    ) -> Result<T, SyncError> {
        let response = request.send().await.map_err(|e| SyncError::Network {
            url: url.to_owned(),
            detail: error_chain(&e),
        })?;
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok());
        if let Some(date) = date {
            // Whole seconds, never ahead of the cloud: a safe floor too.
            self.clock.observe(date.with_timezone(&chrono::Utc));
        }
        decode(response, url).await
    }

    /// `GET /api/v1/edge/changes?since=`.
    pub async fn changes(&self, since: i64, health: &Health) -> Result<ChangesResponse, SyncError> {
        let url = endpoint(&self.base, "/api/v1/edge/changes");
        let request = self
            .http
            .get(&url)
            .query(&[("since", since)])
            .query(health)
            .bearer_auth(self.jwt()?);
        self.send(request, &url).await
    }

    /// `POST /api/v1/edge/events`.
    pub async fn push(
        &self,
        batch: &EventBatch,
        health: &Health,
    ) -> Result<EventsResponse, SyncError> {
        let url = endpoint(&self.base, "/api/v1/edge/events");
        let request = self
            .http
            .post(&url)
            .query(health)
            .json(batch)
            .bearer_auth(self.jwt()?);
        self.send(request, &url).await
    }
}

async fn send<T: DeserializeOwned>(request: RequestBuilder, url: &str) -> Result<T, SyncError> {
    let response = request.send().await.map_err(|e| SyncError::Network {
        url: url.to_owned(),
        detail: error_chain(&e),
    })?;
    decode(response, url).await
}

async fn decode<T: DeserializeOwned>(response: Response, url: &str) -> Result<T, SyncError> {
    let status = response.status();
    let body = response.bytes().await.map_err(|e| SyncError::Network {
        url: url.to_owned(),
        detail: error_chain(&e),
    })?;
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|e| SyncError::Protocol(format!("{url}: {e}")));
    }
    let detail = problem_detail(&body, status);
    let code = status.as_u16();
    Err(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SyncError::Auth {
            status: code,
            detail,
        },
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => SyncError::Server {
            status: code,
            detail,
        },
        s if s.is_client_error() => SyncError::Refused {
            status: code,
            detail,
        },
        _ => SyncError::Server {
            status: code,
            detail,
        },
    })
}

/// The problem's `detail` (or `title`), else the start of the body, on one line.
pub fn problem_detail(body: &[u8], status: StatusCode) -> String {
    if let Ok(problem) = serde_json::from_slice::<Problem>(body) {
        return problem.detail.unwrap_or(problem.title);
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("no explanation given")
            .to_owned();
    }
    text.chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// reqwest errors hide the useful part (connection refused, DNS) in their sources.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_body_gives_its_detail() {
        let body = br#"{"type":"/problems/x","title":"Gone","status":410,"code":"x","detail":"enrollment code expired"}"#;
        assert_eq!(
            problem_detail(body, StatusCode::GONE),
            "enrollment code expired"
        );
    }

    #[test]
    fn other_bodies_are_cut_to_one_short_line() {
        let body = format!("oops\n{}", "x".repeat(500));
        let detail = problem_detail(body.as_bytes(), StatusCode::BAD_GATEWAY);
        assert!(!detail.contains('\n'));
        assert_eq!(detail.chars().count(), 200);
        assert_eq!(problem_detail(b"", StatusCode::BAD_GATEWAY), "Bad Gateway");
    }
}
