//! One-click links in messages (docs/architecture.md, "Messages"): a reminder's Coming /
//! Not coming page (`/r/<token>`) and a waitlist offer's page (`/o/<token>`). A token is
//! base64url of a 16-byte id and an 80-bit HMAC tag (key derived from the master key),
//! so a guess cannot answer for someone else; the purpose is inside the MAC, so a
//! token for one page is not valid on the other.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::App;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A reminder's answer, for a booking.
    Reply,
    /// Taking a place offered from a waitlist, for its entry.
    Offer,
}

impl Purpose {
    /// Put before the id inside the MAC (a reminder's is empty: its links were made so).
    fn domain(self) -> &'static [u8] {
        match self {
            Self::Reply => b"",
            Self::Offer => b"gasq offer link\0",
        }
    }

    /// The page's path prefix.
    fn path(self) -> &'static str {
        match self {
            Self::Reply => "/r/",
            Self::Offer => "/o/",
        }
    }
}

fn tag(app: &App, purpose: Purpose, id: &[u8]) -> [u8; 10] {
    let mut subject = purpose.domain().to_vec();
    subject.extend_from_slice(id);
    app.crypto.reply_link_tag(&subject)
}

/// The token of a link for `id`.
pub fn token(app: &App, purpose: Purpose, id: Uuid) -> String {
    let mut raw = Vec::with_capacity(26);
    raw.extend_from_slice(id.as_bytes());
    raw.extend_from_slice(&tag(app, purpose, id.as_bytes()));
    URL_SAFE_NO_PAD.encode(raw)
}

/// The id a token is for, if its tag verifies for `purpose`.
pub fn id_of(app: &App, purpose: Purpose, token: &str) -> Option<Uuid> {
    let raw = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
    if raw.len() != 26 {
        return None;
    }
    let (id, given) = raw.split_at(16);
    let expected = tag(app, purpose, id);
    if !bool::from(expected.as_slice().ct_eq(given)) {
        return None;
    }
    Uuid::from_slice(id).ok()
}

/// The whole link: the public URL, else this server's address.
pub fn url(app: &App, purpose: Purpose, id: Uuid) -> String {
    format!(
        "{}{}{}",
        app.settings.public_base(),
        purpose.path(),
        token(app, purpose, id)
    )
}
