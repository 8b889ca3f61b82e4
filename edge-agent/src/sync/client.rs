//! The HTTP client for the cloud's edge API. Every call after enrollment carries a
//! fresh device JWT. Errors are sorted by what the caller should do about them
//! (docs/architecture.md, invariant 9):
//! - the GasQ cloud refused the request's content — a 400, 413 or 422 carrying the
//!   cloud's own problem+json `code` ([`SyncError::Refused`]): only then may the push
//!   loop hunt a poison event;
//! - the cloud does not accept this device (401/403 from the cloud): fix the enrollment;
//! - anything else is a transport fault and is retried for as long as it takes: the
//!   network, timeouts, 5xx, 429, and every answer that is not the cloud's — an HTML
//!   page, a 404/405/502 from a proxy, a 2xx that is not the expected JSON.
//!
//! The far end's words are kept (the problem's `detail`, else the start of the body), so
//! the technician reads what answered.

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
    #[error("the cloud does not accept this device (HTTP {status}, {code}): {detail}")]
    Auth {
        status: u16,
        code: String,
        detail: String,
    },
    #[error("the cloud refused the request (HTTP {status}, {code}): {detail}")]
    Refused {
        status: u16,
        code: String,
        detail: String,
    },
    /// The cloud's own answer about the route or the moment (404, 409, 410, 429, …),
    /// never about an event: retried by sync.
    #[error("the cloud declined the request (HTTP {status}, {code}): {detail}")]
    Declined {
        status: u16,
        code: String,
        detail: String,
    },
    #[error("the cloud is failing (HTTP {status}): {detail}")]
    Server { status: u16, detail: String },
    /// Something that is not the GasQ cloud answered (a proxy, a captive portal).
    #[error(
        "{url} answered HTTP {status} without the GasQ cloud's error format (a proxy or gateway in between?): {detail}"
    )]
    NotTheCloud {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("the cloud's answer is not what this gasq-edge expects: {0}")]
    Protocol(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl SyncError {
    /// The cloud's problem code when it refused this device (`device_revoked`, …).
    pub fn auth_code(&self) -> Option<&str> {
        match self {
            Self::Auth { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The problem code the cloud answers a revoked device with.
pub const DEVICE_REVOKED: &str = "device_revoked";

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
    /// When this snapshot was taken: the cloud keeps the newest, so a held pull that
    /// answers late never overwrites what a push reported meanwhile.
    #[serde(rename = "health_at")]
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<&crate::outbox::OutboxStats> for Health {
    fn from(s: &crate::outbox::OutboxStats) -> Self {
        Self {
            outbox_depth: s.depth,
            oldest_unsent_at: s.oldest_unsent_at,
            quarantined: s.quarantined,
            at: chrono::Utc::now(),
        }
    }
}

/// The cloud, as seen by an enrolled device.
#[derive(Debug, Clone)]
pub struct CloudClient {
    http: reqwest::Client,
    base: String,
    device: Device,
    /// How long an answer may take (a held pull gets its wait on top).
    timeout: Duration,
    /// Learns the cloud's time from every answer's `Date`; device JWTs are issued by it.
    clock: Arc<TrustedClock>,
}

/// How long the cloud may take to answer, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl CloudClient {
    pub fn new(http: reqwest::Client, base: &str, device: Device) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            device,
            timeout: DEFAULT_TIMEOUT,
            clock: Arc::new(TrustedClock::new(None, 120)),
        }
    }

    /// Answers slower than `timeout` are given up on (and retried).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
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

    /// `GET /api/v1/edge/changes?since=&wait=`: the cloud holds the request up to `wait`
    /// while the station has no change after `since` (a long poll).
    pub async fn changes(
        &self,
        since: i64,
        wait: Duration,
        health: &Health,
    ) -> Result<ChangesResponse, SyncError> {
        let url = endpoint(&self.base, "/api/v1/edge/changes");
        let request = self
            .http
            .get(&url)
            .query(&[("since", since)])
            .query(&[("wait", wait.as_secs())])
            .query(health)
            .timeout(self.timeout + wait)
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
            .timeout(self.timeout)
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
        return serde_json::from_slice(&body).map_err(|e| {
            let start = problem_detail(&body, status);
            SyncError::Protocol(format!("{url} answered HTTP {status} with {start:?}: {e}"))
        });
    }
    let code = status.as_u16();
    let Some(problem) = cloud_problem(&body, code) else {
        return Err(SyncError::NotTheCloud {
            url: url.to_owned(),
            status: code,
            detail: problem_detail(&body, status),
        });
    };
    let detail = problem.detail.unwrap_or(problem.title);
    Err(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SyncError::Auth {
            status: code,
            code: problem.code,
            detail,
        },
        StatusCode::BAD_REQUEST
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::UNPROCESSABLE_ENTITY => SyncError::Refused {
            status: code,
            code: problem.code,
            detail,
        },
        s if s.is_server_error() => SyncError::Server {
            status: code,
            detail,
        },
        _ => SyncError::Declined {
            status: code,
            code: problem.code,
            detail,
        },
    })
}

/// The body as the GasQ cloud's problem+json: a problem with a code, and the status it
/// was sent with. A proxy's JSON error (`{"message": …}`) is not one.
fn cloud_problem(body: &[u8], status: u16) -> Option<Problem> {
    serde_json::from_slice::<Problem>(body)
        .ok()
        .filter(|p| !p.code.is_empty() && p.status == status)
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
