//! Twilio's webhook for calls: `POST /api/v1/ivr/voice` and its follow-up steps (the
//! same path, the call's state in the query), answered with TwiML. Every step's
//! `X-Twilio-Signature` is checked — over the URL with its query, so the state cannot be
//! altered — 403 otherwise.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::sms::{check_signature, form};
use crate::app::ivr::{self, CallState, VOICE_PATH};
use crate::error::ApiResult;
use crate::state::AppState;

/// One step of a call: Twilio's form parameters (`From`, `Digits`, …), the call's state
/// in the query.
#[utoipa::path(post, path = "/api/v1/ivr/voice", tag = "messages",
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature")),
    request_body(content = String, description = "Twilio's form parameters", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "TwiML", content_type = "application/xml", body = String),
        (status = 403, description = "bad signature")))]
pub(crate) async fn voice(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let params = form(&body)?;
    check_signature(&state, &headers, VOICE_PATH, query.as_deref(), &params)?;
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // Signed, so ours; an unreadable one (an old version's) starts the call again.
    let call: CallState = query
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let who = ivr::Call {
        from: field("From").unwrap_or_default(),
        sid: field("CallSid").unwrap_or_default(),
    };
    let twiml = ivr::step(&state, &who, call, field("Digits")).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        twiml,
    )
        .into_response())
}
