//! Tokens for simulated scans: from a file (one QR text per line, `#` comments), or
//! fetched from the cloud API (`GET {cloud}/api/v1/bookings/{id}/token` with a bearer
//! token) for a list of booking ids.

use std::path::Path;
use std::sync::Mutex;

use gasq_shared::BookingId;
use serde::Deserialize;

/// Why tokens could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read tokens from {path}: {error}")]
    File { path: String, error: std::io::Error },
    #[error("{0} holds no tokens")]
    Empty(String),
    #[error("cloud: booking {booking}: {message}")]
    Cloud { booking: BookingId, message: String },
}

/// Reads a token file: one token per line; blank lines and `#` comments are skipped.
pub fn from_file(path: &Path) -> Result<Vec<String>, TokenError> {
    let text = std::fs::read_to_string(path).map_err(|error| TokenError::File {
        path: path.display().to_string(),
        error,
    })?;
    let tokens = parse_list(&text);
    if tokens.is_empty() {
        return Err(TokenError::Empty(path.display().to_string()));
    }
    Ok(tokens)
}

/// The non-empty, non-comment lines of `text`, trimmed.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Fetches the current token of each booking from the cloud API.
pub async fn from_cloud(
    cloud: &str,
    bearer: &str,
    bookings: &[BookingId],
) -> Result<Vec<String>, TokenError> {
    #[derive(Deserialize)]
    struct TokenBody {
        token: String,
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| TokenError::Cloud {
            booking: BookingId(uuid::Uuid::nil()),
            message: e.to_string(),
        })?;
    let base = cloud.trim_end_matches('/');
    let mut tokens = Vec::with_capacity(bookings.len());
    for &booking in bookings {
        let fail = |message: String| TokenError::Cloud { booking, message };
        let response = client
            .get(format!("{base}/api/v1/bookings/{booking}/token"))
            .bearer_auth(bearer)
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let snippet: String = body.chars().take(200).collect();
            return Err(fail(format!("HTTP {status}: {snippet}")));
        }
        let body: TokenBody = response
            .json()
            .await
            .map_err(|e| fail(format!("answer is not {{\"token\":...}}: {e}")))?;
        tokens.push(body.token);
    }
    Ok(tokens)
}

/// Hands tokens to lanes in order; with `repeat`, starts over at the end.
#[derive(Debug)]
pub struct TokenQueue {
    tokens: Vec<String>,
    next: Mutex<usize>,
    repeat: bool,
}

impl TokenQueue {
    pub fn new(tokens: Vec<String>, repeat: bool) -> Self {
        Self {
            tokens,
            next: Mutex::new(0),
            repeat,
        }
    }

    pub fn next_token(&self) -> Option<String> {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        if *next >= self.tokens.len() {
            if !self.repeat || self.tokens.is_empty() {
                return None;
            }
            *next = 0;
        }
        let token = self.tokens[*next].clone();
        *next += 1;
        Some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_not_tokens() {
        assert_eq!(
            parse_list("# demo\n\nGQ1:A \n  GQ1:B\n"),
            ["GQ1:A", "GQ1:B"]
        );
    }

    #[test]
    fn the_queue_ends_or_repeats() {
        let q = TokenQueue::new(vec!["a".into(), "b".into()], false);
        assert_eq!(
            (q.next_token(), q.next_token(), q.next_token()),
            (Some("a".into()), Some("b".into()), None)
        );
        let q = TokenQueue::new(vec!["a".into()], true);
        assert_eq!(
            (q.next_token(), q.next_token()),
            (Some("a".into()), Some("a".into()))
        );
    }
}
