//! Errors of the attendant API, answered as problem+json (RFC 9457) with a stable
//! `code`. Client mistakes are 4xx with a sentence saying what to do; failures of the
//! box itself are logged and answered 503 (the attendant can retry or call support).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gasq_shared::problem::{self, Problem};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("send the attendant secret as `Authorization: Bearer <secret>`")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    UnknownCode(String),
    /// Seconds this device must wait before typing another code.
    #[error(
        "too many unknown codes from this device: check the code with the driver and try again in {0} s (each attempt meanwhile makes the wait longer)"
    )]
    TooManyCodes(u64),
    #[error("the station box cannot do this right now: {0}")]
    Unavailable(String),
    /// Seconds this device must wait.
    #[error(
        "too many wrong attendant secrets from this device: try again in {0} s (each attempt meanwhile makes the wait longer; other devices are not affected)"
    )]
    TooManyAttempts(u64),
    #[error("this endpoint does not take that method")]
    MethodNotAllowed,
    #[error(
        "no GasQ QR code could be read in that photo: hold the phone steady, fill the frame with the code, and avoid glare; or type the booking code"
    )]
    NoQr,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Not authorised"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", "Bad request"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            Self::NoQr => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_qr",
                "No QR code in the photo",
            ),
            Self::UnknownCode(_) => (
                StatusCode::NOT_FOUND,
                "unknown_code",
                "Unknown booking code",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
            ),
            Self::TooManyAttempts(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Too many attempts",
            ),
            Self::TooManyCodes(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_codes",
                "Too many unknown codes",
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
            ),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        tracing::error!(error = %e, "attendant API: database failure");
        Self::Unavailable("its database failed (see the agent's log)".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title) = self.parts();
        let body = Problem::new(status.as_u16(), code, title, Some(self.to_string()));
        let mut response = (status, Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(problem::CONTENT_TYPE),
        );
        if let Self::TooManyAttempts(secs) | Self::TooManyCodes(secs) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
