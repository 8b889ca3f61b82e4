//! TwiML answers to Twilio's webhooks: `<Message>` for SMS, `<Say>` / `<Gather>` for
//! calls. Text is XML-escaped here.

/// Text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `<Response>` around `inner` (TwiML verbs, already escaped).
pub fn response(inner: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{inner}</Response>")
}

/// An SMS reply; `None`: no reply (a replayed or throttled message).
pub fn message(text: Option<&str>) -> String {
    response(&text.map_or_else(String::new, |t| format!("<Message>{}</Message>", esc(t))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_wrapped() {
        assert_eq!(
            message(Some("a < b & \"c\"")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>a &lt; b &amp; &quot;c&quot;</Message></Response>"
        );
        assert!(message(None).ends_with("<Response></Response>"));
    }
}
