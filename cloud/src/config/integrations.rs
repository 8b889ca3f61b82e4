//! The settings of the outside services GasQ calls: Razorpay and Twilio. Each has a
//! real base URL by default and runs on a local stand-in while its keys are unset.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Twilio (`GASQ_TWILIO_BASE_URL`, `GASQ_TWILIO_ACCOUNT_SID`, `GASQ_TWILIO_AUTH_TOKEN`,
/// `GASQ_TWILIO_FROM`). Without an account, SMS go to the console.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwilioSettings {
    pub base_url: String,
    pub account_sid: Option<String>,
    /// Also signs Twilio's webhooks to us.
    pub auth_token: Option<Secret>,
    /// The number (E.164) or messaging service SMS go from.
    pub from: Option<String>,
    /// Each call's timeout, seconds.
    pub timeout_secs: u64,
}

impl Default for TwilioSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.twilio.com".into(),
            account_sid: None,
            auth_token: None,
            from: None,
            timeout_secs: 10,
        }
    }
}

/// Razorpay (`GASQ_RAZORPAY_BASE_URL`, `GASQ_RAZORPAY_KEY_ID`, `GASQ_RAZORPAY_KEY_SECRET`,
/// `GASQ_RAZORPAY_WEBHOOK_SECRET`). Without a key id and secret, payments run in the
/// local test mode.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RazorpaySettings {
    pub base_url: String,
    pub key_id: Option<String>,
    pub key_secret: Option<Secret>,
    /// The secret set on the webhook in Razorpay's dashboard (not the key secret).
    pub webhook_secret: Option<Secret>,
    /// Each call's timeout, seconds.
    pub timeout_secs: u64,
}

impl Default for RazorpaySettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.razorpay.com".into(),
            key_id: None,
            key_secret: None,
            webhook_secret: None,
            timeout_secs: 10,
        }
    }
}

/// OpenWeatherMap (`GASQ_WEATHER_BASE_URL`, `GASQ_WEATHER_API_KEY`): the weather the
/// forecast and the late grace use. Without a key, a dry 27 °C hour is assumed (and
/// said so in the answers).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeatherSettings {
    pub base_url: String,
    pub api_key: Option<Secret>,
    /// Each call's timeout, seconds.
    pub timeout_secs: u64,
}

impl Default for WeatherSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.openweathermap.org".into(),
            api_key: None,
            timeout_secs: 5,
        }
    }
}

/// Google Routes (`GASQ_MAPS_BASE_URL`, `GASQ_MAPS_API_KEY`): a driver's travel time
/// with traffic, for the late grace. Without a key, an estimate from the distance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapsSettings {
    pub base_url: String,
    pub api_key: Option<Secret>,
    /// Each call's timeout, seconds.
    pub timeout_secs: u64,
}

impl Default for MapsSettings {
    fn default() -> Self {
        Self {
            base_url: "https://routes.googleapis.com".into(),
            api_key: None,
            timeout_secs: 5,
        }
    }
}

/// Merges the integrations' settings from the environment under their documented
/// names, which have one underscore (`GASQ_RAZORPAY_KEY_ID`). Read as text unless a
/// duration: `GASQ_TWILIO_FROM=+15005550006` is a phone number, not 15005550006
/// (figment's `Env` would parse it as one).
pub(super) fn merge_env(mut figment: figment::Figment) -> figment::Figment {
    use figment::providers::Serialized;
    for integration in ["razorpay", "twilio", "weather", "maps"] {
        let prefix = format!("GASQ_{}_", integration.to_ascii_uppercase());
        for (name, value) in std::env::vars() {
            if let Some(key) = name.strip_prefix(&prefix).filter(|k| !k.starts_with('_')) {
                let key = key.to_ascii_lowercase();
                let path = format!("{integration}.{key}");
                // Durations are the integrations' only numbers (`timeout_secs`).
                let number = key.ends_with("_secs").then(|| value.trim().parse::<u64>());
                figment = match number {
                    Some(Ok(n)) => figment.merge(Serialized::default(&path, n)),
                    // Not a number: kept as text, so the error names the setting.
                    _ => figment.merge(Serialized::default(&path, value)),
                };
            }
        }
    }
    figment
}
