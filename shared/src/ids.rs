//! Validated identifiers and quantities. Each has a `parse` constructor; once a value
//! exists it is known good, so the rest of the code never re-checks it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// Why a value did not parse. The message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn invalid(msg: impl Into<String>) -> ParseError {
    ParseError(msg.into())
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7), so ids sort by creation.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| invalid(concat!("not a valid ", stringify!($name), " (expected a UUID)")))
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

uuid_id!(
    /// A booking; the token carries its 16 bytes, and it is what is redeemed, once.
    BookingId
);
uuid_id!(
    /// A user account of any role.
    UserId
);
uuid_id!(
    /// A driver's vehicle.
    VehicleId
);
uuid_id!(
    /// An enrolled edge box.
    DeviceId
);
uuid_id!(
    /// An event recorded at the edge; made there, so the cloud can ingest idempotently.
    EventId
);

/// A station's numeric id: positive, and fits the token's u32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "i64", into = "i64")]
pub struct StationId(u32);

impl StationId {
    pub fn new(id: u32) -> Result<Self, ParseError> {
        if id == 0 {
            return Err(invalid("station ids start at 1"));
        }
        Ok(Self(id))
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for StationId {
    type Error = ParseError;
    fn try_from(v: i64) -> Result<Self, ParseError> {
        u32::try_from(v)
            .map_err(|_| invalid("station id out of range"))
            .and_then(Self::new)
    }
}

impl From<StationId> for i64 {
    fn from(id: StationId) -> i64 {
        i64::from(id.0)
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for StationId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        s.parse::<u32>()
            .map_err(|_| invalid("a station id is a positive whole number"))
            .and_then(Self::new)
    }
}

/// Implements Display, FromStr, AsRef<str> and string serde for a validated string type.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                Self::parse(s)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A station code such as `MUM-0042`: upper-case letters, digits and single hyphens,
/// 3 to 16 characters, starting with a letter. It names MQTT topics, so it can never
/// hold `/`, `+` or `#`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StationCode(String);

impl StationCode {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let code = raw.trim().to_ascii_uppercase();
        let ok_chars = code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        let starts_with_letter = code.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
        if !(3..=16).contains(&code.len())
            || !ok_chars
            || !starts_with_letter
            || code.ends_with('-')
            || code.contains("--")
        {
            return Err(invalid(format!(
                "{raw:?} is not a station code: use 3-16 letters, digits and single hyphens, starting with a letter (e.g. MUM-0042)"
            )));
        }
        Ok(Self(code))
    }
}
string_newtype!(StationCode);

/// A vehicle registration, normalised to upper-case `A-Z0-9` (spaces and hyphens that
/// people type are dropped): `mh 12 ab-1234` becomes `MH12AB1234`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VehicleReg(String);

impl VehicleReg {
    /// The longest registration a token can carry.
    pub const MAX_LEN: usize = 16;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let reg: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if !reg
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(invalid(format!(
                "{raw:?} is not a registration: use letters and digits only (e.g. MH12AB1234)"
            )));
        }
        let has_letter = reg.bytes().any(|b| b.is_ascii_uppercase());
        let has_digit = reg.bytes().any(|b| b.is_ascii_digit());
        if !(4..=Self::MAX_LEN).contains(&reg.len()) || !has_letter || !has_digit {
            return Err(invalid(format!(
                "{raw:?} is not a registration: it needs 4-16 letters and digits, with at least one of each"
            )));
        }
        Ok(Self(reg))
    }
}
string_newtype!(VehicleReg);

/// A phone number in E.164 (`+919876543210`). Ten-digit numbers, with or without a
/// leading 0, are taken as Indian mobiles.
#[derive(Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let trimmed = raw.trim();
        let plus = trimmed.starts_with('+');
        let digits: String = trimmed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '+'))
            .collect();
        let bad = || invalid("not a phone number: give a 10-digit mobile or +<country><number>");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let e164 = if plus {
            digits
        } else if digits.len() == 10 {
            format!("91{digits}")
        } else if digits.len() == 11 && digits.starts_with('0') {
            format!("91{}", &digits[1..])
        } else if digits.len() == 12 && digits.starts_with("91") {
            digits
        } else {
            return Err(bad());
        };
        if !(8..=15).contains(&e164.len()) || e164.starts_with('0') {
            return Err(bad());
        }
        Ok(Self(format!("+{e164}")))
    }

    /// The number with all but the last three digits hidden, for screens and logs.
    pub fn masked(&self) -> String {
        let keep = self.0.len().saturating_sub(3);
        format!("+{}{}", "*".repeat(keep.saturating_sub(1)), &self.0[keep..])
    }
}
string_newtype!(Phone);

// IMPORTANT: phone numbers are personal data; Debug must never print them in full.
impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// A fuel quantity in hundredths of a kilogram, as token v1 carries it. Zero means
/// "fill to full".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Quantity(u16);

impl Quantity {
    pub const FILL_TO_FULL: Quantity = Quantity(0);

    pub fn from_centikg(centikg: u16) -> Self {
        Self(centikg)
    }

    /// From kilograms as a person gives them; rounds to 10 g. `None` is a full fill.
    pub fn from_kg(kg: Option<f64>) -> Result<Self, ParseError> {
        let Some(kg) = kg else {
            return Ok(Self::FILL_TO_FULL);
        };
        if !kg.is_finite() || kg <= 0.0 || kg > 655.35 {
            return Err(invalid(
                "quantity_kg must be more than 0 and at most 655.35 (leave it out to fill to full)",
            ));
        }
        let centi = (kg * 100.0).round();
        // The range check above keeps this inside u16.
        Ok(Self(centi as u16))
    }

    pub fn centikg(self) -> u16 {
        self.0
    }

    pub fn is_fill_to_full(self) -> bool {
        self.0 == 0
    }

    /// Kilograms, or `None` for a full fill.
    pub fn kg(self) -> Option<f64> {
        (self.0 != 0).then(|| f64::from(self.0) / 100.0)
    }
}

#[cfg(test)]
mod tests;
