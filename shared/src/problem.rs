//! The problem+json error body (RFC 9457) every GasQ HTTP API answers errors with.

use serde::{Deserialize, Serialize};

/// The media type of a [`Problem`].
pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error as the API reports it. `code` is stable and machine-readable; `type` is a
/// URI naming the same code; `detail` tells a person what happened and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-field messages for validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Where to go instead, when there is somewhere (a full slot: calmer slots at the
    /// station and calm stations nearby). An RFC 9457 extension member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<serde_json::Value>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: u16, code: &str, title: &str, detail: Option<String>) -> Self {
        Self {
            type_uri: format!("/problems/{code}"),
            title: title.to_owned(),
            status,
            code: code.to_owned(),
            detail,
            errors: Vec::new(),
            suggestions: None,
        }
    }
}
