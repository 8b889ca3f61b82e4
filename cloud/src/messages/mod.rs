//! Talking to drivers (docs/architecture.md, "Messages"): the catalogue of messages in
//! each language (`i18n.rs`, Fluent files in `cloud/locales/`), SMS length (`segments.rs`),
//! and the channels — SMS through Twilio or the console (`sms.rs`), e-mail through SMTP
//! or the console (`email.rs`). With nothing configured, both channels are the console.

pub mod email;
pub mod i18n;
pub mod segments;
pub mod sms;
pub mod twilio_signature;
pub mod twiml;

use std::sync::Arc;

use crate::config::Settings;

/// A provider's error text with phone numbers and e-mail addresses hidden (they go to
/// logs and to the dead letters' `last_error`).
pub fn redact(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let digits = word.chars().filter(char::is_ascii_digit).count();
            if digits >= 7 {
                sms::mask(word)
            } else if let Some((_, domain)) = word.split_once('@') {
                format!("…@{domain}")
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The channels and the catalogue.
#[derive(Debug, Clone)]
pub struct Messenger {
    pub catalog: Arc<i18n::Catalog>,
    pub sms: Arc<dyn sms::SmsSender>,
    pub email: Arc<dyn email::EmailSender>,
}

impl Messenger {
    /// The configured channels (console where nothing is); an SMTP URL that does not
    /// parse is an error naming it.
    pub fn from_settings(s: &Settings) -> Result<Self, String> {
        let sms: Arc<dyn sms::SmsSender> = match sms::TwilioSms::from_settings(&s.twilio) {
            Some(twilio) => Arc::new(twilio),
            None => Arc::new(sms::ConsoleSms),
        };
        let email: Arc<dyn email::EmailSender> = match &s.smtp_url {
            Some(url) => Arc::new(email::SmtpEmail::new(
                url.expose(),
                &s.notifications.email_from,
            )?),
            None => Arc::new(email::ConsoleEmail),
        };
        Ok(Self {
            catalog: Arc::new(i18n::Catalog::load()),
            sms,
            email,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn provider_errors_lose_their_phone_numbers_and_addresses() {
        assert_eq!(
            redact("The 'To' number +919710000000 is not a valid phone number."),
            "The 'To' number +••••••••0000 is not a valid phone number."
        );
        assert_eq!(
            redact("550 no mailbox asha@example.in here"),
            "550 no mailbox …@example.in here"
        );
        assert_eq!(redact("timed out after 10 s"), "timed out after 10 s");
    }
}
