//! `[mqtt] credentials = "FILE"` (or `--credentials`, `GASQ_MQTT_CREDENTIALS`): the JSON
//! line `gasq-edge bus-client add NAME` printed — `{"username","password","verdict_key",
//! …}` — saved to a file, so a technician copies one file instead of three values. Keys
//! set explicitly (`username`, `password`, `verdict_key`) win over the file's.

use std::path::Path;

use serde::Deserialize;

use super::error::ConfigError;
use super::{MqttConfig, Secret};

#[derive(Deserialize)]
struct Issued {
    username: String,
    password: Secret,
    #[serde(default)]
    verdict_key: Option<String>,
}

/// Fills what `mqtt` leaves unset from the login in its URL, then from its credentials
/// file, if it names one.
pub fn apply(mqtt: &mut MqttConfig) -> Result<(), ConfigError> {
    if mqtt.username.is_none()
        && let Ok(address) = super::BrokerAddress::parse(&mqtt.url)
        && let Some(user) = address.username
    {
        mqtt.username = Some(user);
        mqtt.password = mqtt.password.take().or(address.password);
    }
    let Some(path) = mqtt.credentials.clone() else {
        return Ok(());
    };
    let issued = read(&path).map_err(|e| ConfigError::new("mqtt.credentials", e))?;
    mqtt.username.get_or_insert(issued.username);
    mqtt.password.get_or_insert(issued.password);
    if mqtt.verdict_key.is_none() {
        mqtt.verdict_key = issued.verdict_key;
    }
    Ok(())
}

fn read(path: &Path) -> Result<Issued, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(text.trim()).map_err(|e| {
        format!(
            "{} is not the JSON line `gasq-edge bus-client add` prints: {e}",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_fills_what_is_not_set_explicitly() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            r#"{"username":"lane_1","password":"pw","role":"bridge","verdict_key":"KEY","kid":"k"}"#,
        )
        .unwrap();
        let mut mqtt = MqttConfig {
            credentials: Some(file.path().to_owned()),
            verdict_key: Some("MINE".into()),
            ..MqttConfig::default()
        };
        apply(&mut mqtt).unwrap();
        assert_eq!(mqtt.username.as_deref(), Some("lane_1"));
        assert_eq!(mqtt.password.unwrap().expose(), "pw");
        assert_eq!(mqtt.verdict_key.as_deref(), Some("MINE"));
        let mut broken = MqttConfig {
            credentials: Some("/nonexistent/creds.json".into()),
            ..MqttConfig::default()
        };
        assert!(
            apply(&mut broken)
                .unwrap_err()
                .to_string()
                .contains("cannot read")
        );
    }
}
