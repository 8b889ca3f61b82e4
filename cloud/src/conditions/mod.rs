//! The conditions on the way to the pump: the weather (OpenWeatherMap) and a driver's
//! travel time with traffic (Google Routes), each a real HTTP client against its
//! configured base URL, with a timeout, a cache per station and hour, and a heuristic
//! fallback when unset or failing — said in the logs and in every answer that used it
//! (`source`). They feed the forecast's weather features and the token's late grace
//! (docs/architecture.md, "Capacity and forecasts").

pub mod routes;
pub mod weather;

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

/// Where a figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The configured provider answered.
    Provider,
    /// No provider is configured, or it failed: GasQ's own estimate.
    Heuristic,
}

/// A client for one provider, or `None` when it has no key (or the client cannot be
/// built: then the heuristic serves, and the log says why).
fn client(
    what: &str,
    key: Option<&crate::secret::Secret>,
    timeout_secs: u64,
) -> Option<reqwest::Client> {
    key?;
    match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .build()
    {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "{what}: no HTTP client, using the heuristic");
            None
        }
    }
}
