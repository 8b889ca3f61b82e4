//! The in-process link to the embedded rumqttd broker (`Broker::link`): no socket, no
//! serialisation, the lowest latency path for verdicts.
//!
//! rumqttd's `LinkTx` hands packets to the router with a blocking channel send, so the
//! publishing side runs on its own thread; the receiving side is an async task.

use std::sync::Arc;

use bytes::Bytes;
use rumqttd::Notification;
use rumqttd::local::{LinkRx, LinkTx};
use rumqttd::protocol::{Packet, Publish};
use tokio::sync::mpsc;

use super::{BusIo, INCOMING_CAPACITY, Message, Outgoing, outgoing};
use crate::metrics::Counters;

/// Why the link could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("station bus link: {0}")]
pub struct LinkError(String);

/// Subscribes the link to `filters` and starts its publisher thread and reader task.
pub fn connect(
    mut tx: LinkTx,
    rx: LinkRx,
    filters: &[String],
    counters: Arc<Counters>,
) -> Result<BusIo, LinkError> {
    for filter in filters {
        tx.subscribe(filter.clone())
            .map_err(|e| LinkError(format!("subscribe {filter}: {e}")))?;
    }
    let (bus, out_rx) = outgoing(counters);
    let (in_tx, incoming) = mpsc::channel(INCOMING_CAPACITY);
    let publisher = tokio::task::spawn_blocking(move || publish_loop(tx, out_rx));
    tokio::spawn(read_loop(rx, in_tx));
    Ok(BusIo {
        bus,
        incoming,
        publisher,
    })
}

fn publish_loop(mut tx: LinkTx, mut out: mpsc::Receiver<Outgoing>) {
    while let Some(msg) = out.blocking_recv() {
        match msg {
            Outgoing::Publish {
                topic,
                payload,
                retain,
            } => {
                let packet =
                    Packet::Publish(Publish::new(Bytes::from(topic), payload, retain), None);
                // `send` never awaits (the router channel send inside is blocking), so
                // driving it to completion here is immediate.
                if let Err(e) = futures::executor::block_on(tx.send(packet)) {
                    tracing::error!(error = %e, "embedded broker refused a publish");
                }
            }
            Outgoing::Close => break,
        }
    }
}

async fn read_loop(mut rx: LinkRx, incoming: mpsc::Sender<Message>) {
    loop {
        match rx.next().await {
            Ok(Some(Notification::Forward(forward))) => {
                let Ok(topic) = String::from_utf8(forward.publish.topic.to_vec()) else {
                    tracing::warn!("ignoring a publish whose topic is not UTF-8");
                    continue;
                };
                let msg = Message {
                    topic,
                    payload: forward.publish.payload,
                };
                if incoming.send(msg).await.is_err() {
                    return;
                }
            }
            Ok(Some(Notification::Unschedule)) => {
                if let Err(e) = rx.wake().await {
                    tracing::error!(error = %e, "cannot reschedule the broker link");
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "the embedded broker link closed");
                return;
            }
        }
    }
}
