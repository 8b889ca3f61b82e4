//! Twilio's webhooks for SMS: `POST /api/v1/sms/inbound`, form-encoded as Twilio posts
//! it, answered with TwiML. `X-Twilio-Signature` is checked over `GASQ_PUBLIC_URL` + the
//! path and every parameter (with the Twilio auth token; without a Twilio account, a
//! local token derived from the master key, as `gasq-cloud sms` uses) — 403 otherwise.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::sms;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::messages::{twilio_signature, twiml};
use crate::state::AppState;

/// The path Twilio is pointed at.
pub const INBOUND_PATH: &str = "/api/v1/sms/inbound";

/// The token Twilio signs its webhooks with here.
pub fn webhook_token(state: &AppState) -> String {
    state.settings.twilio.auth_token.as_ref().map_or_else(
        || state.crypto.local_provider_secret("twilio auth token"),
        |t| t.expose().to_owned(),
    )
}

/// The URL Twilio called, as configured (the signature covers it).
pub fn public_url(state: &AppState, path: &str, query: Option<&str>) -> String {
    let mut url = format!("{}{path}", state.settings.public_base());
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// Refuses (403) a request to `path` that Twilio did not sign.
pub fn check_signature(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    query: Option<&str>,
    params: &[(String, String)],
) -> ApiResult<()> {
    let url = public_url(state, path, query);
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if twilio_signature::verifies(&webhook_token(state), &url, params, signature) {
        return Ok(());
    }
    tracing::warn!(
        path,
        "a Twilio webhook with a missing or bad signature refused"
    );
    Err(ApiError::client(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "the X-Twilio-Signature does not match: this endpoint is for Twilio",
    ))
}

/// Twilio's form parameters.
pub fn form(body: &[u8]) -> ApiResult<Vec<(String, String)>> {
    serde_urlencoded::from_bytes(body).map_err(|_| {
        ApiError::bad_request(
            ErrorCode::InvalidBody,
            "expected Twilio's form parameters (application/x-www-form-urlencoded)",
        )
    })
}

/// A driver's SMS, as Twilio posts it (`From`, `Body`, `MessageSid`, and the rest,
/// all covered by the signature).
#[utoipa::path(post, path = "/api/v1/sms/inbound", tag = "messages",
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature")),
    request_body(content = String, description = "Twilio's form parameters", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "TwiML", content_type = "application/xml", body = String),
        (status = 403, description = "bad signature")))]
pub(crate) async fn inbound(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    // Parsed here rather than by axum's `Form`, so a bad body is a problem+json 400.
    let params = form(&body)?;
    check_signature(&state, &headers, INBOUND_PATH, query.as_deref(), &params)?;
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let (from, body, sid) = (field("From"), field("Body"), field("MessageSid"));
    if sid.is_empty() || from.is_empty() {
        return Err(ApiError::invalid(
            "MessageSid",
            "Twilio sends From and MessageSid",
        ));
    }
    let reply = sms::inbound(&state, from, body, sid).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        twiml::message(reply.as_deref()),
    )
        .into_response())
}
