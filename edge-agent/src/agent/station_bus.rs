//! Starting the station bus: the embedded broker with the agent's in-process link (and
//! its TCP fallback), or the link to an external broker — and saying at start what is
//! unsafe about the setup (`allow_anonymous`, no device provisioned).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use gasq_shared::topics::Topic;
use gasq_shared::{DeviceId, StationCode};

use super::AgentError;
use crate::broker::{self, Access};
use crate::bus::{self, BusIo};
use crate::busclients::{self, registry::Registry};
use crate::config::Settings;
use crate::metrics::Counters;
use crate::state::BusAddress;
use crate::status;

/// A started station bus.
pub(super) struct BusStarted {
    pub io: BusIo,
    pub address: BusAddress,
    /// The embedded broker's address (`None` on an external broker).
    pub embedded: Option<SocketAddr>,
}

/// Starts the embedded broker, or connects to the external one.
pub(super) fn start(
    settings: &Settings,
    station: &StationCode,
    device: DeviceId,
    devices: &Registry,
    counters: Arc<Counters>,
    runtime: &tokio::runtime::Handle,
) -> Result<BusStarted, AgentError> {
    for warning in warnings(settings, devices.len()) {
        tracing::warn!("{warning}");
    }
    let filters = bus::subscriptions(station);
    if let Some(url) = &settings.mqtt_url {
        let url = bus::remote::BrokerUrl::parse(url).map_err(broker::BrokerError::Start)?;
        let will = serde_json::to_vec(&status::offline_status(None)).unwrap_or_default();
        let credentials = settings.mqtt_username.clone().zip(
            settings
                .mqtt_password
                .as_ref()
                .map(|p| p.expose().to_owned()),
        );
        let options = bus::remote::RemoteOptions {
            url: url.clone(),
            client_id: format!("gasq-edge-{device}"),
            credentials,
            will: (
                Topic::EdgeStatus {
                    station: station.clone(),
                }
                .to_string(),
                Bytes::from(will),
            ),
        };
        let io = bus::remote::connect(options, filters, counters);
        let address = BusAddress::External(format!("{}:{}", url.host, url.port));
        return Ok(BusStarted {
            io,
            address,
            embedded: None,
        });
    }
    let access = if settings.allow_anonymous {
        Access::Anonymous
    } else {
        Access::Devices(devices.clone())
    };
    let (embedded, tx, rx) = broker::start(settings.mqtt_listen, access)?;
    if !embedded.nodelay {
        tracing::warn!("station bus runs with Nagle's algorithm on; see `gasq-edge doctor`");
    }
    let fallback = bus::local::Fallback {
        addr: loopback(embedded.addr),
        // Unguessable: with `allow_anonymous` anyone could otherwise claim it too.
        client_id: format!(
            "{}-{}",
            broker::AGENT_LINK_ID,
            uuid::Uuid::new_v4().simple()
        ),
        login: (!settings.allow_anonymous).then(|| devices.agent_login()),
    };
    let io = bus::local::connect(tx, rx, &filters, counters, fallback, runtime)?;
    Ok(BusStarted {
        io,
        address: BusAddress::Embedded(embedded.addr),
        embedded: Some(loopback(embedded.addr)),
    })
}

/// Where the agent itself reaches a broker listening on `addr` (0.0.0.0 → 127.0.0.1).
fn loopback(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        ip if ip.is_unspecified() && addr.is_ipv4() => {
            SocketAddr::from(([127, 0, 0, 1], addr.port()))
        }
        ip if ip.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port())),
        _ => addr,
    }
}

/// What is unsafe or unusable about the station-bus setup, in words for an operator
/// (logged at start, shown by `doctor`; `/status` shows the first two).
pub fn warnings(settings: &Settings, provisioned: usize) -> Vec<String> {
    let ignored_login = settings.mqtt_url.is_none() && settings.mqtt_username.is_some();
    busclients::warnings(settings.allow_anonymous, provisioned, ignored_login)
}
