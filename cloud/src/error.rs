//! `ApiError`: every error the HTTP API returns, rendered as problem+json (RFC 9457).
//!
//! Client errors carry a stable `code` and a `detail` that tells the caller what to do.
//! Internal errors are logged with the request's span and answered with a generic 500
//! body — their text never reaches the client.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gasq_shared::problem::{CONTENT_TYPE, FieldError, Problem};

use crate::store::StoreError;

/// An error answer of the API.
#[derive(Debug)]
pub enum ApiError {
    /// The caller got something wrong (4xx).
    Client {
        status: StatusCode,
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
        retry_after_secs: Option<u64>,
    },
    /// We did (5xx). Logged, never shown.
    Internal(anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn client(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self::Client {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code, detail)
    }

    /// One invalid field, as a 422 `validation_failed`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            detail: format!("{field}: {message}"),
            errors: vec![FieldError {
                field: field.to_owned(),
                message,
            }],
            retry_after_secs: None,
        }
    }

    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::client(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::CONFLICT, code, detail)
    }

    pub fn too_many_requests(retry_after_secs: u64, detail: impl Into<String>) -> Self {
        Self::Client {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
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
                let mut p = Problem::new(status.as_u16(), code, title(status), Some(detail));
                p.errors = errors;
                (p, retry_after_secs)
            }
            Self::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                let status = StatusCode::INTERNAL_SERVER_ERROR;
                let detail = "Something went wrong on our side. Try again; if it keeps happening, contact support.";
                (
                    Problem::new(
                        status.as_u16(),
                        "internal",
                        title(status),
                        Some(detail.into()),
                    ),
                    None,
                )
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

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(what),
            StoreError::Conflict(what) => Self::conflict("conflict", what),
            other => Self::internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match &r {
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            _ => "invalid_body",
        };
        // axum's text names the offending field and position, which is what a caller needs.
        Self::client(status, code, r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "invalid_path", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
    }
}

/// `Json` whose rejections are problem+json. Text holding NUL characters is refused:
/// no field has a use for them, and PostgreSQL cannot store them.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn no_nul() -> ApiError {
    ApiError::bad_request("invalid_text", "text must not contain NUL characters")
}

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if has_nul(&value) {
            return Err(no_nul());
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| {
            ApiError::unprocessable(
                "invalid_body",
                format!("the request body does not fit: {e}"),
            )
        })
    }
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Path` whose rejections are problem+json.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejections are problem+json (NUL characters refused, as in bodies).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or_default();
        if raw.to_ascii_lowercase().contains("%00") {
            return Err(no_nul());
        }
        let axum::extract::Query(q) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(q))
    }
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
