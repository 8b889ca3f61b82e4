//! Keeps the running agent's [`Registry`] in step with the `bus_clients` table, which
//! `gasq-edge bus-client add|remove` change from another process: a new device may
//! connect within moments, and a removed one is cut off at once — its connections are
//! taken over (the broker drops a session when another CONNECT claims its client id)
//! by a short-lived connection of the agent's own, which then leaves.

use std::net::SocketAddr;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet};
use tokio_util::sync::CancellationToken;

use super::registry::Registry;
use crate::db::{Db, DbError};

/// How often the table is read again.
const RELOAD: Duration = Duration::from_millis(500);
/// How long cutting one connection off may take.
const CUT_DEADLINE: Duration = Duration::from_secs(5);

/// Loads the table into `registry`; the client ids of devices now gone.
pub async fn reload(db: &Db, registry: &Registry) -> Result<Vec<String>, DbError> {
    let clients = db.call(|c| super::all(c)).await?;
    Ok(registry.replace(&clients))
}

/// Reloads until `stop`; cuts removed devices off the embedded broker at `broker`.
pub async fn run(db: Db, registry: Registry, broker: Option<SocketAddr>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(RELOAD);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        let cut = match reload(&db, &registry).await {
            Ok(cut) => cut,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the station-bus credentials");
                continue;
            }
        };
        let Some(addr) = broker else { continue };
        for client_id in cut {
            tokio::spawn(cut_off(addr, registry.agent_login(), client_id));
        }
    }
}

/// Takes over the session `client_id` on the broker at `addr`, then leaves.
async fn cut_off(addr: SocketAddr, (user, password): (String, String), client_id: String) {
    let mut options = MqttOptions::new(client_id.clone(), addr.ip().to_string(), addr.port());
    options.set_credentials(user, password);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 4);
    let done = tokio::time::timeout(CUT_DEADLINE, async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_disconnect();
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    })
    .await;
    match done {
        Ok(true) => tracing::info!(%client_id, "removed bus client cut off"),
        _ => tracing::warn!(%client_id, "could not cut a removed bus client off"),
    }
}
