//! Tokens for simulated scans: from a file (one QR text per line, `#` comments), or
//! fetched from the cloud API (`GET {cloud}/api/v1/bookings/{id}/token` with a bearer
//! token) for a list of booking ids. A file can be followed: read again whenever its
//! tokens run out, for the lines added since (a demo that keeps booking).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

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
    let tokens = from_file_maybe_empty(path)?;
    if tokens.is_empty() {
        return Err(TokenError::Empty(path.display().to_string()));
    }
    Ok(tokens)
}

/// Like [`from_file`], but a file with no tokens (yet) is fine: one to follow.
pub fn from_file_maybe_empty(path: &Path) -> Result<Vec<String>, TokenError> {
    let text = std::fs::read_to_string(path).map_err(|error| TokenError::File {
        path: path.display().to_string(),
        error,
    })?;
    Ok(parse_list(complete_lines(&text)))
}

/// The non-empty, non-comment lines of `text`, trimmed.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// `text` up to its last newline: a line still being written is not a token yet.
fn complete_lines(text: &str) -> &str {
    text.rfind('\n').map_or("", |end| &text[..=end])
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

/// How often a followed file is read again while it has no new tokens.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// Hands tokens to lanes in order. At the end: with `repeat`, starts over; with
/// `follow`, reads that file again for tokens not handed out before (waiting while
/// there are none); otherwise there are no more.
#[derive(Debug)]
pub struct TokenQueue {
    state: Mutex<Handed>,
    repeat: bool,
    follow: Option<PathBuf>,
}

#[derive(Debug)]
struct Handed {
    tokens: Vec<String>,
    next: usize,
    /// Every token ever queued, so a followed file's old lines are not scanned again.
    seen: HashSet<String>,
}

impl TokenQueue {
    pub fn new(tokens: Vec<String>, repeat: bool, follow: Option<PathBuf>) -> Self {
        let seen = tokens.iter().cloned().collect();
        Self {
            state: Mutex::new(Handed {
                tokens,
                next: 0,
                seen,
            }),
            repeat,
            follow,
        }
    }

    /// The next token; `None` when there are no more. Following a file, this waits
    /// for new lines (cancel the future to give up).
    pub async fn next_token(&self) -> Option<String> {
        loop {
            if let Some(token) = self.take() {
                return Some(token);
            }
            let path = self.follow.as_ref()?;
            match tokio::fs::read_to_string(path).await {
                Ok(text) => {
                    if self.add(parse_list(complete_lines(&text))) {
                        continue;
                    }
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot read the token file")
                }
            }
            tokio::time::sleep(FOLLOW_EVERY).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Handed> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next queued token, starting over with `repeat`.
    fn take(&self) -> Option<String> {
        let mut handed = self.lock();
        if handed.next >= handed.tokens.len() {
            if !self.repeat || handed.tokens.is_empty() {
                return None;
            }
            handed.next = 0;
        }
        let token = handed.tokens[handed.next].clone();
        handed.next += 1;
        Some(token)
    }

    /// Queues the tokens not seen before; true if there were any.
    fn add(&self, tokens: Vec<String>) -> bool {
        let mut handed = self.lock();
        let before = handed.tokens.len();
        for token in tokens {
            if handed.seen.insert(token.clone()) {
                handed.tokens.push(token);
            }
        }
        let added = handed.tokens.len() - before;
        if added > 0 {
            tracing::info!(added, "new tokens to scan");
        }
        added > 0
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

    #[tokio::test]
    async fn the_queue_ends_or_repeats() {
        let q = TokenQueue::new(vec!["a".into(), "b".into()], false, None);
        assert_eq!(
            (
                q.next_token().await,
                q.next_token().await,
                q.next_token().await
            ),
            (Some("a".into()), Some("b".into()), None)
        );
        let q = TokenQueue::new(vec!["a".into()], true, None);
        assert_eq!(
            (q.next_token().await, q.next_token().await),
            (Some("a".into()), Some("a".into()))
        );
    }

    #[tokio::test]
    async fn a_followed_file_gives_its_new_complete_lines_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens.txt");
        std::fs::write(&file, "a\n").unwrap();
        let q = TokenQueue::new(
            from_file_maybe_empty(&file).unwrap(),
            false,
            Some(file.clone()),
        );
        assert_eq!(q.next_token().await.as_deref(), Some("a"));
        // "c" is still being written: not a token until its line ends.
        std::fs::write(&file, "a\nb\n# note\nc").unwrap();
        assert_eq!(q.next_token().await.as_deref(), Some("b"));
        let waiting = tokio::time::timeout(Duration::from_millis(50), q.next_token()).await;
        assert!(waiting.is_err(), "no new complete line: it waits");
        std::fs::write(&file, "a\nb\nc\n").unwrap();
        assert_eq!(q.next_token().await.as_deref(), Some("c"));
    }
}
