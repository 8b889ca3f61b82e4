//! Durations as people write them in the config: `"500ms"`, `"2s"`, `"1m"`, or a plain
//! number of seconds (`2`, `0.5`).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A [`Duration`] that reads from `"250ms"`, `"3s"`, `"2m"` or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(pub Duration);

impl Span {
    pub const fn millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }

    pub const fn secs(s: u64) -> Self {
        Self(Duration::from_secs(s))
    }

    pub fn get(self) -> Duration {
        self.0
    }

    /// Parses `"<number><unit>"` with unit `ms`, `s`, `m` or `h` (no unit = seconds).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let value: f64 = number.parse().map_err(|_| {
            format!("{text:?} is not a duration (write e.g. \"500ms\", \"2s\", \"1m\")")
        })?;
        let factor = match unit.trim() {
            "ms" => 0.001,
            "" | "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            other => {
                return Err(format!(
                    "unknown duration unit {other:?} (use ms, s, m or h)"
                ));
            }
        };
        Self::from_secs_f64(value * factor)
    }

    fn from_secs_f64(secs: f64) -> Result<Self, String> {
        if !secs.is_finite() || !(0.0..=86_400.0 * 365.0).contains(&secs) {
            return Err(format!("{secs} s is not a usable duration"));
        }
        Ok(Self(Duration::from_secs_f64(secs)))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Float(f64),
            Text(String),
        }
        let parsed = match Raw::deserialize(d)? {
            Raw::Int(secs) => Span::from_secs_f64(secs as f64),
            Raw::Float(secs) => Span::from_secs_f64(secs),
            Raw::Text(text) => Span::parse(&text),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_units_or_as_seconds() {
        assert_eq!(Span::parse("500ms").unwrap(), Span::millis(500));
        assert_eq!(Span::parse("2s").unwrap(), Span::secs(2));
        assert_eq!(Span::parse("1m").unwrap(), Span::secs(60));
        assert_eq!(Span::parse("1.5").unwrap(), Span::millis(1500));
    }

    #[test]
    fn nonsense_durations_are_refused_with_a_hint() {
        assert!(Span::parse("fast").unwrap_err().contains("not a duration"));
        assert!(Span::parse("3 weeks").unwrap_err().contains("unit"));
        assert!(Span::parse("").is_err());
    }

    #[test]
    fn a_duration_prints_the_way_it_is_written() {
        assert_eq!(Span::millis(250).to_string(), "250ms");
        assert_eq!(Span::secs(3).to_string(), "3s");
    }
}
