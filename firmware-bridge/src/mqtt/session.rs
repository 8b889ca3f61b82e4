//! The one task that polls rumqttc's event loop. It owns the reconnect policy (jittered
//! exponential backoff), re-subscribes on every connection, tells the outbox about
//! packet ids and acknowledgements, and forwards incoming publishes.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rumqttc::{ConnectionError, Event, EventLoop, Outgoing, Packet, QoS};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{BusSettings, Incoming, Shared};
use crate::backoff::Backoff;

/// How long a shutdown waits for unacknowledged messages.
const DRAIN_FOR: Duration = Duration::from_secs(2);
/// How long a shutdown waits for its DISCONNECT to be written.
const GOODBYE_FOR: Duration = Duration::from_millis(500);

pub(super) async fn own_event_loop(
    mut eventloop: EventLoop,
    shared: Arc<Shared>,
    settings: BusSettings,
    incoming: mpsc::Sender<Incoming>,
    shutdown: CancellationToken,
) {
    let mut backoff = Backoff::new(settings.reconnect_min, settings.reconnect_max);
    let mut failures: u64 = 0;
    loop {
        let event = tokio::select! {
            () = shutdown.cancelled() => break,
            event = eventloop.poll() => event,
        };
        match event {
            Ok(event) => {
                if matches!(event, Event::Incoming(Packet::ConnAck(_))) {
                    backoff.reset();
                    failures = 0;
                    on_connected(&mut eventloop, &shared, &settings);
                } else {
                    handle(event, &shared, &incoming);
                }
            }
            Err(error) => {
                on_disconnected(&mut eventloop, &shared, &settings, &error, failures);
                failures += 1;
                let wait = backoff.next_wait();
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
    drain(&mut eventloop, &shared, &incoming).await;
}

fn on_connected(eventloop: &mut EventLoop, shared: &Shared, settings: &BusSettings) {
    // Our outbox re-sends what was unacknowledged; rumqttc must not send it twice.
    eventloop.pending.clear();
    let n = shared.connects.fetch_add(1, Ordering::Relaxed);
    shared
        .subacks_due
        .store(settings.subscriptions.len() as u64, Ordering::Relaxed);
    for filter in &settings.subscriptions {
        if let Err(e) = shared
            .client
            .0
            .try_subscribe(filter.clone(), QoS::AtLeastOnce)
        {
            tracing::warn!(%filter, error = %e, "could not subscribe");
        }
    }
    if let Some(signer) = &shared.client.1 {
        signer.new_session();
    }
    let mut outbox = shared.outbox();
    outbox.connected(&shared.client);
    let stats = outbox.stats();
    tracing::info!(
        broker = %settings.broker(),
        reconnect = n > 0,
        queued = stats.queued + stats.in_flight,
        dropped = stats.dropped,
        "connected to the station bus"
    );
}

fn on_disconnected(
    eventloop: &mut EventLoop,
    shared: &Shared,
    settings: &BusSettings,
    error: &ConnectionError,
    failures: u64,
) {
    let mut outbox = shared.outbox();
    let was_connected = outbox.is_connected();
    outbox.disconnected();
    // IMPORTANT: publishes handed to rumqttc before `disconnected()` took the lock sit in
    // its request channel; clean() moves them to `pending`, and we drop them there
    // because the outbox has requeued them already.
    eventloop.clean();
    eventloop.pending.clear();
    let stats = outbox.stats();
    drop(outbox);
    if was_connected || failures == 0 || failures.is_multiple_of(30) {
        tracing::warn!(
            broker = %settings.broker(),
            %error,
            queued = stats.queued,
            dropped = stats.dropped,
            expired = stats.expired,
            "station bus unavailable; buffering and retrying"
        );
    } else {
        tracing::debug!(%error, "station bus still unavailable");
    }
}

fn handle(event: Event, shared: &Shared, incoming: &mpsc::Sender<Incoming>) {
    match event {
        Event::Outgoing(Outgoing::Publish(pkid)) => shared.outbox().sent(pkid),
        Event::Incoming(Packet::SubAck(_)) => {
            let _ = shared
                .subacks_due
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
        Event::Incoming(Packet::PubAck(ack)) => {
            shared.outbox().acked(ack.pkid, &shared.client);
        }
        Event::Incoming(Packet::Publish(publish)) => {
            let message = Incoming {
                topic: publish.topic,
                payload: publish.payload.to_vec(),
                retain: publish.retain,
            };
            if incoming.try_send(message).is_err() {
                let n = shared.incoming_dropped.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(dropped = n, "incoming message dropped: router is behind");
            }
        }
        _ => {}
    }
}

/// After shutdown: give unacknowledged messages a moment, then say goodbye.
async fn drain(eventloop: &mut EventLoop, shared: &Shared, incoming: &mpsc::Sender<Incoming>) {
    let deadline = Instant::now() + DRAIN_FOR;
    let mut connected = shared.outbox().is_connected();
    while connected && !shared.outbox().is_idle() {
        match tokio::time::timeout_at(deadline, eventloop.poll()).await {
            Ok(Ok(event)) => handle(event, shared, incoming),
            // Polling again would reconnect: there is nobody left to say goodbye to.
            Ok(Err(_)) => connected = false,
            Err(_) => break,
        }
    }
    let stats = shared.outbox().stats();
    if stats.queued + stats.in_flight > 0 {
        tracing::warn!(
            unsent = stats.queued + stats.in_flight,
            "shutting down with unsent messages"
        );
    }
    if connected {
        say_goodbye(eventloop, shared, incoming).await;
    }
}

/// Sends DISCONNECT and polls until it is written, so the broker sees a clean goodbye
/// (and drops our session) rather than a connection that died.
async fn say_goodbye(
    eventloop: &mut EventLoop,
    shared: &Shared,
    incoming: &mpsc::Sender<Incoming>,
) {
    if shared.client.0.try_disconnect().is_err() {
        return;
    }
    let deadline = Instant::now() + GOODBYE_FOR;
    while let Ok(Ok(event)) = tokio::time::timeout_at(deadline, eventloop.poll()).await {
        if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
            tracing::debug!("disconnected from the station bus");
            return;
        }
        handle(event, shared, incoming);
    }
    tracing::warn!("could not say goodbye to the station bus; it will see the connection drop");
}
