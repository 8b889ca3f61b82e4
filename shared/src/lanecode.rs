//! Lane codes: the 8-digit code a driver without a smartphone reads out at the lane,
//! which the edge checks with no cloud (docs/architecture.md, "Lane codes").
//!
//! A lane code is a MAC, not a random number: HMAC-SHA256 under the station's lane-code
//! secret over the booking id, the station and the token's validity window, cut to 8
//! decimal digits. The edge holds the secret (delivered at enrollment, rotated by sync),
//! so it can tell a booking's code from a guess without asking anyone — and because the
//! window is inside the MAC, a code stops matching when its booking is moved.
//!
//! Codes are unique across the cloud: when a fresh code collides, the cloud takes the
//! next `nonce` (0 to [`NONCES`]` - 1`), and the edge tries them all.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{BookingId, StationId};

/// Digits in a lane code.
pub const DIGITS: usize = 8;

/// How many codes the cloud may try for one booking before giving up on uniqueness.
pub const NONCES: u8 = 8;

/// Domain separation: these MACs mean nothing anywhere else.
const CONTEXT: &[u8] = b"gasq lane code v1";

/// One version of a station's lane-code secret, as the edge receives it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LaneCodeSecret {
    /// Counts up from 1 at each rotation.
    pub version: u32,
    /// 32 bytes, base64url without padding.
    pub secret: String,
}

impl std::fmt::Debug for LaneCodeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LaneCodeSecret(v{}, [redacted])", self.version)
    }
}

impl LaneCodeSecret {
    /// The secret's bytes; `None` when it is not 32 bytes of base64url.
    pub fn bytes(&self) -> Option<[u8; 32]> {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(self.secret.as_bytes())
            .ok()?;
        raw.try_into().ok()
    }

    pub fn from_bytes(version: u32, bytes: &[u8; 32]) -> Self {
        use base64::Engine as _;
        Self {
            version,
            secret: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        }
    }
}

/// What a lane code is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeSubject {
    pub booking: BookingId,
    pub station: StationId,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

/// The lane code of `subject` under `secret` with `nonce`.
pub fn lane_code(secret: &[u8; 32], subject: &CodeSubject, nonce: u8) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(CONTEXT);
    mac.update(subject.booking.0.as_bytes());
    mac.update(&subject.station.get().to_be_bytes());
    mac.update(&subject.valid_from.timestamp().to_be_bytes());
    mac.update(&subject.valid_until.timestamp().to_be_bytes());
    mac.update(&[nonce]);
    let tag = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&tag[..8]);
    // 2^64 is 1.8e11 times 10^8: the modulo's bias is far below anything a guesser
    // could use.
    format!("{:08}", u64::from_be_bytes(first) % 100_000_000)
}

/// Whether `code` is the lane code of `subject` under `secret` with any nonce. The
/// comparison is constant-time in the code.
pub fn matches(secret: &[u8; 32], subject: &CodeSubject, code: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    (0..NONCES).any(|n| {
        bool::from(
            lane_code(secret, subject, n)
                .as_bytes()
                .ct_eq(code.as_bytes()),
        )
    })
}

/// The digits of a typed lane code (any whitespace and dashes ignored); `None` unless
/// exactly [`DIGITS`] ASCII digits remain.
pub fn normalize(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '–' | '—'))
        .collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The code as people read it: two groups of four (`1234 5678`).
pub fn display(code: &str) -> String {
    match normalize(code) {
        Some(d) => format!("{} {}", &d[..4], &d[4..]),
        None => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn subject() -> CodeSubject {
        CodeSubject {
            booking: BookingId(uuid::Uuid::from_u128(
                0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
            )),
            station: StationId::new(7).unwrap(),
            valid_from: Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap(),
            valid_until: Utc.with_ymd_and_hms(2026, 11, 29, 10, 45, 0).unwrap(),
        }
    }

    #[test]
    fn a_code_is_eight_digits_and_stable() {
        let code = lane_code(&[7; 32], &subject(), 0);
        assert_eq!(code.len(), DIGITS);
        assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        assert_eq!(code, lane_code(&[7; 32], &subject(), 0));
        assert!(matches(&[7; 32], &subject(), &code));
    }

    #[test]
    fn the_code_changes_with_every_input() {
        let base = lane_code(&[7; 32], &subject(), 0);
        let mut moved = subject();
        moved.valid_until += chrono::Duration::minutes(15);
        let mut other_station = subject();
        other_station.station = StationId::new(8).unwrap();
        for (what, code) in [
            ("secret", lane_code(&[8; 32], &subject(), 0)),
            ("window", lane_code(&[7; 32], &moved, 0)),
            ("station", lane_code(&[7; 32], &other_station, 0)),
            ("nonce", lane_code(&[7; 32], &subject(), 1)),
        ] {
            assert_ne!(code, base, "a different {what} gives a different code");
        }
        assert!(
            !matches(&[7; 32], &moved, &base),
            "a moved booking's old code"
        );
        assert!(matches(
            &[7; 32],
            &subject(),
            &lane_code(&[7; 32], &subject(), NONCES - 1)
        ));
    }

    #[test]
    fn typed_codes_are_normalised_and_checked() {
        assert_eq!(normalize(" 1234-5678 ").as_deref(), Some("12345678"));
        assert_eq!(normalize("1234 567"), None);
        assert_eq!(normalize("1234 567A"), None);
        assert_eq!(normalize("K7M2QX01"), None);
        assert_eq!(normalize("1234\u{a0}5678").as_deref(), Some("12345678"));
        assert_eq!(display("12345678"), "1234 5678");
    }

    #[test]
    fn a_secret_round_trips_and_hides_in_logs() {
        let s = LaneCodeSecret::from_bytes(3, &[9; 32]);
        assert_eq!(s.bytes(), Some([9; 32]));
        assert!(!format!("{s:?}").contains(&s.secret));
        let short = LaneCodeSecret {
            version: 1,
            secret: "abc".into(),
        };
        assert_eq!(short.bytes(), None);
    }
}
