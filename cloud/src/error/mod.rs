//! `ApiError`: every error the HTTP API returns, rendered as problem+json (RFC 9457).
//!
//! Client errors carry a stable [`ErrorCode`] and a `detail` that tells the caller what
//! to do. Internal errors are logged with the request's span and answered with a
//! generic 500 body — their text never reaches the client. The use cases' errors
//! become `ApiError`s in one place, `from_app.rs`.

mod code;
mod from_app;
pub mod openapi;
mod rejections;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gasq_shared::problem::{CONTENT_TYPE, FieldError, Problem};

pub use code::ErrorCode;

/// An error answer of the API.
#[derive(Debug)]
pub enum ApiError {
    /// The caller got something wrong (4xx), or must wait (503).
    Client {
        status: StatusCode,
        code: ErrorCode,
        detail: String,
        errors: Vec<FieldError>,
        retry_after_secs: Option<u64>,
    },
    /// We did (5xx). Logged, never shown.
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn client(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::Client {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code, detail)
    }

    /// One invalid field, as a 422 `validation_failed`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ErrorCode::ValidationFailed,
            detail: format!("{field}: {message}"),
            errors: vec![FieldError {
                field: field.to_owned(),
                message,
            }],
            retry_after_secs: None,
        }
    }

    pub fn unprocessable(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::FORBIDDEN, ErrorCode::Forbidden, detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::client(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::CONFLICT, code, detail)
    }

    pub fn too_many_requests(retry_after_secs: u64, detail: impl Into<String>) -> Self {
        Self::Client {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: ErrorCode::RateLimited,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: Some(retry_after_secs.max(1)),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Client { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

fn title(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (problem, retry_after) = match self {
            Self::Client {
                status,
                code,
                detail,
                errors,
                retry_after_secs,
            } => {
                let mut p =
                    Problem::new(status.as_u16(), code.as_str(), title(status), Some(detail));
                p.errors = errors;
                (p, retry_after_secs)
            }
            Self::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                let status = StatusCode::INTERNAL_SERVER_ERROR;
                let detail = "Something went wrong on our side. Try again; if it keeps happening, contact support.";
                let code = ErrorCode::Internal.as_str();
                let p = Problem::new(status.as_u16(), code, title(status), Some(detail.into()));
                (p, None)
            }
        };
        problem_response(problem, retry_after)
    }
}

/// Renders a problem with the right status and media type.
pub fn problem_response(problem: Problem, retry_after_secs: Option<u64>) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Some(secs) = retry_after_secs {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Client { detail, .. } => f.write_str(detail),
            Self::Internal(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for ApiError {}
