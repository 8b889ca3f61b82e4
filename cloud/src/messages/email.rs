//! Sending e-mail: SMTP (lettre) at `GASQ_SMTP_URL`, or the console (the embedded
//! default), which prints what would be sent.

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::sms::SendError;

/// Sends e-mail.
#[async_trait]
pub trait EmailSender: Send + Sync + std::fmt::Debug {
    /// `console` or `smtp`.
    fn name(&self) -> &'static str;
    /// Sends a plain-text message; the server's answer for it.
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<String, SendError>;
}

/// Prints each e-mail to standard output instead of sending it.
#[derive(Debug, Default)]
pub struct ConsoleEmail;

#[async_trait]
impl EmailSender for ConsoleEmail {
    fn name(&self) -> &'static str {
        "console"
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<String, SendError> {
        let domain = to.rsplit_once('@').map_or("", |(_, d)| d);
        println!("[console e-mail to …@{domain}] {subject}\n{body}");
        Ok(format!("console-{}", uuid::Uuid::new_v4().simple()))
    }
}

/// SMTP.
pub struct SmtpEmail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for SmtpEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpEmail")
    }
}

impl SmtpEmail {
    /// `url`: `smtp://`, `smtps://` or `smtp://…?tls=required` with credentials in it,
    /// as lettre reads it; `from`: the sender address.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(15)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("notifications.email_from: {e}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl EmailSender for SmtpEmail {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<String, SendError> {
        let to = to
            .parse()
            .map_err(|e| SendError::Permanent(format!("the recipient's address: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| SendError::Permanent(format!("message: {e}")))?;
        match self.transport.send(message).await {
            Ok(answer) => Ok(answer.message().collect::<Vec<_>>().join(" ")),
            Err(e) if e.is_permanent() => {
                Err(SendError::Permanent(super::redact(&format!("smtp: {e}"))))
            }
            Err(e) => Err(SendError::Retry(super::redact(&format!("smtp: {e}")))),
        }
    }
}
