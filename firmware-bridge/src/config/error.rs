//! [`ConfigError`]: what is wrong with a configuration, in one line a technician can act
//! on. A value type at the bottom of the config module: loading and validation both
//! make it, neither depends on the other for it.

use std::fmt;

/// A configuration that cannot be used: where it came from, which key, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file, variable or flag that supplied the bad value (empty when unknown).
    pub origin: String,
    /// The key, e.g. `scanner #2 baud` (blocks are counted from 1).
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            origin: String::new(),
            key: key.into(),
            message: message.into(),
        }
    }

    /// Names where the value came from, unless that is already known.
    pub(crate) fn from(mut self, origin: &str) -> Self {
        if self.origin.is_empty() {
            self.origin = origin.to_owned();
        }
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bad config")?;
        if !self.origin.is_empty() {
            write!(f, " ({})", self.origin)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}
