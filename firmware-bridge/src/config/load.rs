//! Layered loading: built-in defaults → TOML file → `GASQ_*` environment → flags, with
//! every failure turned into one line that names where it came from and the key.
//!
//! Only the variables listed in [`ENV_KEYS`] are read, so other programs' `GASQ_*`
//! settings on the same box never trip the unknown-key check.

use std::path::Path;

use figment::providers::Format as _;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::error::ConfigError;
use super::{Config, validate};

/// Environment variables the bridge reads, and the key each sets.
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("GASQ_STATION", "station"),
    ("GASQ_MQTT_URL", "mqtt.url"),
    ("GASQ_MQTT_USERNAME", "mqtt.username"),
    ("GASQ_MQTT_PASSWORD", "mqtt.password"),
    ("GASQ_MQTT_CLIENT_ID", "mqtt.client_id"),
    ("GASQ_MQTT_CREDENTIALS", "mqtt.credentials"),
    ("GASQ_MQTT_VERDICT_KEY", "mqtt.verdict_key"),
];

/// Settings given as command-line flags; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub station: Option<String>,
    pub mqtt_url: Option<String>,
    pub client_id: Option<String>,
    pub credentials: Option<String>,
}

/// Loads the config file (if any), the `GASQ_*` environment and the flags.
pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
    load_with_env(path, std::env::vars(), overrides)
}

/// [`load`] with the environment given explicitly (tests never touch the real one).
pub fn load_with_env(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let (text, origin) = match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                ConfigError::new("", format!("cannot read the config file: {e}"))
                    .from(&p.display().to_string())
            })?;
            (text, p.display().to_string())
        }
        None => (String::new(), "defaults".to_owned()),
    };
    let mut figment = toml_layer(&text, &origin)?;
    for (name, value) in env {
        if let Some((_, key)) = ENV_KEYS.iter().find(|(n, _)| *n == name) {
            figment = figment.merge(Layer::new(format!("environment {name}"), key, value));
        }
    }
    let flags = [
        ("--station", "station", &overrides.station),
        ("--mqtt-url", "mqtt.url", &overrides.mqtt_url),
        ("--client-id", "mqtt.client_id", &overrides.client_id),
        ("--credentials", "mqtt.credentials", &overrides.credentials),
    ];
    for (flag, key, value) in flags {
        if let Some(value) = value {
            figment = figment.merge(Layer::new(format!("flag {flag}"), key, value.clone()));
        }
    }
    finish(figment, &origin)
}

/// Parses a complete config from TOML text (no environment, no flags).
pub fn parse_str(text: &str) -> Result<Config, ConfigError> {
    finish(toml_layer(text, "config")?, "config")
}

fn toml_layer(text: &str, origin: &str) -> Result<Figment, ConfigError> {
    // Syntax first, with a line and column a technician can find.
    if let Err(e) = text.parse::<toml::Table>() {
        let at = e
            .span()
            .map(|s| line_col(text, s.start))
            .unwrap_or_default();
        let message = e.message().replace('\n', " ");
        return Err(ConfigError::new("", format!("{at}{message}")).from(origin));
    }
    Ok(Figment::new().merge(figment::providers::Toml::string(text)))
}

fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {col}: ")
}

fn finish(figment: Figment, file_origin: &str) -> Result<Config, ConfigError> {
    let mut config: Config = figment.extract().map_err(|e| render(e, file_origin))?;
    super::credentials::apply(&mut config.mqtt).map_err(|e| e.from(file_origin))?;
    validate(&config).map_err(|e| {
        // Name the layer that supplied the value (a flag or variable, or the file).
        let origin = figment
            .find_metadata(&e.key)
            .filter(|m| !m.name.contains("TOML"))
            .map_or_else(|| file_origin.to_owned(), |m| m.name.to_string());
        e.from(&origin)
    })?;
    Ok(config)
}

fn render(error: figment::Error, file_origin: &str) -> ConfigError {
    use figment::error::Kind;
    let origin = match &error.metadata {
        Some(m) if !m.name.contains("TOML") => m.name.to_string(),
        _ => file_origin.to_owned(),
    };
    let mut path = error.path.clone();
    let message = match &error.kind {
        Kind::MissingField(name) => {
            if path.last().map(String::as_str) != Some(name) {
                path.push(name.to_string());
            }
            "is missing".to_owned()
        }
        Kind::UnknownField(name, expected) => {
            if path.last() != Some(name) {
                path.push(name.clone());
            }
            format!("is not a known key (known: {})", expected.join(", "))
        }
        other => other.to_string(),
    };
    ConfigError::new(key_name(&path), message).from(&origin)
}

/// `["scanner", "1", "baud"]` → `scanner #2 baud`: blocks counted from 1 as people do.
pub(crate) fn key_name(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment.parse::<usize>() {
            Ok(index) => out.push_str(&format!(" #{}", index + 1)),
            Err(_) if out.is_empty() => out.push_str(segment),
            Err(_) if out.ends_with(|c: char| c.is_ascii_digit()) => {
                out.push(' ');
                out.push_str(segment);
            }
            Err(_) => {
                out.push('.');
                out.push_str(segment);
            }
        }
    }
    out
}

/// One value from the environment or a flag, named for error messages.
struct Layer {
    name: String,
    dict: Dict,
}

impl Layer {
    fn new(name: String, key: &str, value: String) -> Self {
        Self {
            name,
            dict: figment::util::nest(key, Value::from(value))
                .into_dict()
                .unwrap_or_default(),
        }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn the_environment_overrides_the_file_and_flags_override_both() {
        let file = write("station = \"MUM-0042\"\n[mqtt]\nurl = \"mqtt://file:1\"\n");
        let from_env = load_with_env(
            Some(file.path()),
            env(&[
                ("GASQ_MQTT_URL", "mqtt://env:2"),
                ("GASQ_DATABASE_URL", "x"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(from_env.mqtt.url, "mqtt://env:2");
        let flags = Overrides {
            mqtt_url: Some("mqtt://flag:3".into()),
            ..Overrides::default()
        };
        let from_flag = load_with_env(
            Some(file.path()),
            env(&[("GASQ_MQTT_URL", "mqtt://env:2")]),
            &flags,
        )
        .unwrap();
        assert_eq!(from_flag.mqtt.url, "mqtt://flag:3");
    }

    #[test]
    fn a_numeric_password_from_the_environment_stays_text() {
        let cfg = load_with_env(
            None,
            env(&[
                ("GASQ_STATION", "MUM-0042"),
                ("GASQ_MQTT_USERNAME", "lane_1"),
                ("GASQ_MQTT_PASSWORD", "1234"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(cfg.mqtt.password.unwrap().expose(), "1234");
    }

    #[test]
    fn a_bad_station_from_a_flag_names_the_flag() {
        let flags = Overrides {
            station: Some("x/y".into()),
            ..Overrides::default()
        };
        let err = load_with_env(None, env(&[]), &flags).unwrap_err();
        assert_eq!(err.origin, "flag --station");
        assert_eq!(err.key, "station");
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let err = load(
            Some(Path::new("/nonexistent/bridge.toml")),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("cannot read the config file"),
            "{err}"
        );
    }

    #[test]
    fn keys_are_named_with_blocks_counted_from_one() {
        let path: Vec<String> = ["dispenser", "1", "registers", "status"]
            .map(String::from)
            .to_vec();
        assert_eq!(key_name(&path), "dispenser #2 registers.status");
    }
}
