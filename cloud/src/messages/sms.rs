//! Sending SMS: Twilio's Messages API over HTTP, or the console (the embedded default),
//! which prints what would be sent.
//!
//! Twilio has no idempotency key for messages. A send that timed out may have been
//! accepted, so before sending again after such a failure we ask Twilio for messages to
//! the same number since the first attempt, and take one with the same body as sent.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::Deserialize;

use crate::config::TwilioSettings;
use crate::secret::Secret;

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth another try later (timeouts, 5xx, 429).
    #[error("{0}")]
    Retry(String),
    /// Will never work as asked (a bad number, a refused account): dead-lettered.
    #[error("{0}")]
    Permanent(String),
}

/// Sends SMS.
#[async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    /// `console` or `twilio`.
    fn name(&self) -> &'static str;
    /// Sends `body` to `to` (E.164); the provider's id for it. `since`: when the first
    /// attempt of this message was made (for the already-sent check after a timeout).
    async fn send(
        &self,
        to: &str,
        body: &str,
        retry_since: Option<DateTime<Utc>>,
    ) -> Result<String, SendError>;
}

/// Prints each SMS to standard output instead of sending it.
#[derive(Debug, Default)]
pub struct ConsoleSms;

#[async_trait]
impl SmsSender for ConsoleSms {
    fn name(&self) -> &'static str {
        "console"
    }

    async fn send(
        &self,
        to: &str,
        body: &str,
        _retry_since: Option<DateTime<Utc>>,
    ) -> Result<String, SendError> {
        println!("[console SMS to {}] {body}", mask(to));
        Ok(format!("console-{}", uuid::Uuid::new_v4().simple()))
    }
}

/// A phone number with all but its last four digits hidden (for logs and the console).
pub fn mask(phone: &str) -> String {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen + 4 <= digits { '•' } else { c }
            } else {
                c
            }
        })
        .collect()
}

/// Twilio's Messages API.
#[derive(Debug)]
pub struct TwilioSms {
    http: reqwest::Client,
    base: String,
    account_sid: String,
    auth_token: Secret,
    from: String,
}

#[derive(Debug, Deserialize)]
struct Message {
    sid: String,
    #[serde(default)]
    body: String,
}

#[derive(Debug, Deserialize)]
struct MessageList {
    messages: Vec<Message>,
}

impl TwilioSms {
    /// A client for the configured account; `None` unless sid, token and sender are set.
    pub fn from_settings(s: &TwilioSettings) -> Option<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(s.timeout_secs.max(1)))
            .build()
            .ok()?;
        Some(Self {
            http,
            base: s.base_url.trim_end_matches('/').to_owned(),
            account_sid: s.account_sid.clone()?,
            auth_token: s.auth_token.clone()?,
            from: s.from.clone()?,
        })
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base, self.account_sid
        )
    }

    /// A message with this body already sent to `to` since `since`, if any.
    async fn already_sent(
        &self,
        to: &str,
        body: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<String>, SendError> {
        let date = since.format("%Y-%m-%d").to_string();
        let res = self
            .http
            .get(self.messages_url())
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .query(&[
                ("To", to),
                ("From", self.from.as_str()),
                ("DateSent>", &date),
            ])
            .send()
            .await
            .map_err(|e| SendError::Retry(format!("twilio look-up: {}", kind(&e))))?;
        if !res.status().is_success() {
            return Err(SendError::Retry(format!(
                "twilio look-up: {}",
                res.status()
            )));
        }
        let list: MessageList = res
            .json()
            .await
            .map_err(|e| SendError::Retry(format!("twilio look-up: {e}")))?;
        Ok(list
            .messages
            .into_iter()
            .find(|m| m.body == body)
            .map(|m| m.sid))
    }
}

fn kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    }
}

#[async_trait]
impl SmsSender for TwilioSms {
    fn name(&self) -> &'static str {
        "twilio"
    }

    async fn send(
        &self,
        to: &str,
        body: &str,
        retry_since: Option<DateTime<Utc>>,
    ) -> Result<String, SendError> {
        if let Some(since) = retry_since
            && let Some(sid) = self.already_sent(to, body, since).await?
        {
            return Ok(sid);
        }
        let res = self
            .http
            .post(self.messages_url())
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .form(&[("To", to), ("From", self.from.as_str()), ("Body", body)])
            .send()
            .await
            .map_err(|e| SendError::Retry(format!("twilio: {}", kind(&e))))?;
        let status = res.status();
        if status.is_success() {
            let m: Message = res
                .json()
                .await
                .map_err(|e| SendError::Retry(format!("twilio: unexpected answer ({e})")))?;
            return Ok(m.sid);
        }
        let detail = res.text().await.unwrap_or_default();
        let detail: String = super::redact(
            &serde_json::from_str::<serde_json::Value>(&detail)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or(detail),
        )
        .chars()
        .take(200)
        .collect();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Err(SendError::Retry(format!("twilio: {status} {detail}")))
        } else {
            Err(SendError::Permanent(format!("twilio: {status} {detail}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn numbers_show_only_their_last_four_digits() {
        assert_eq!(mask("+919876543210"), "+••••••••3210");
        assert_eq!(mask("123"), "123");
    }
}
