//! Verdicts from the edge to the lane's devices: the display and gate lines, and an
//! authorisation for the lane's dispenser when the token was accepted.
//!
//! The display and gate that show a verdict are those of the lane whose scanner read the
//! token (the topic's lane): that is where the driver is looking. The dispenser
//! authorised is the one on the lane the edge's queue sends the driver to (the verdict's
//! `lane` field) — usually the same lane, since the queue keeps a driver where they
//! scanned unless another lane is sooner. A verdict without a lane (no lane is up)
//! authorises nothing: the attendant serves that driver by hand when a lane is back.
//!
//! Only a verdict the [`VerdictGuard`] believes — signed by the edge, fresh, not seen
//! before — is shown or authorises anything; any other is counted (`bad_verdicts`) and
//! shown as `NO bad_verdict` on the lane's displays (docs/architecture.md, invariant 8).
//!
//! The edge accepts a booking only once, so a second accepted verdict for a booking
//! within [`REPEAT_WINDOW`] authorises nothing either.

mod guard;

pub use guard::{BadVerdict, VerdictGuard};

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use chrono::Utc;

use gasq_shared::topics::{LaneChannel, Topic, Verdict};
use gasq_shared::{BookingId, StationCode};
use tokio::sync::mpsc;

use crate::drivers::dispenser::{Authorization, DispenserHandle};
use crate::drivers::display::{DisplayHandle, verdict_line};
use crate::mqtt::Incoming;
use crate::stats::DeviceStats;

/// Where each lane's verdicts go.
#[derive(Debug, Default, Clone)]
pub struct Routes {
    pub displays: HashMap<u16, Vec<DisplayHandle>>,
    pub dispensers: HashMap<u16, DispenserHandle>,
    /// In-process listeners (the simulator's virtual lanes).
    pub observers: HashMap<u16, mpsc::UnboundedSender<Verdict>>,
}

/// How long an authorised booking is remembered to spot duplicate verdicts.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Bookings authorised recently, to ignore duplicate deliveries of their verdicts.
#[derive(Debug, Default)]
pub struct Recent(HashMap<BookingId, Instant>);

impl Recent {
    /// Whether `booking` is new (and remembers it); forgets entries older than the window.
    fn first_time(&mut self, booking: BookingId, now: Instant) -> bool {
        self.0
            .retain(|_, at| now.duration_since(*at) < REPEAT_WINDOW);
        self.0.insert(booking, now).is_none()
    }
}

/// Counters of the router.
#[derive(Debug, Default)]
pub struct RouterStats {
    pub verdicts: AtomicU64,
    /// Verdicts refused by the guard: forged, altered, stale or replayed.
    pub bad_verdicts: AtomicU64,
    pub authorisations: AtomicU64,
    pub duplicates: AtomicU64,
    /// Accepted verdicts with no lane to send the driver to.
    pub unassigned: AtomicU64,
}

/// The topic filter the router needs.
pub fn subscription(station: &StationCode) -> String {
    Topic::all_lanes(station, LaneChannel::Verdict)
}

/// What the router remembers between messages.
#[derive(Debug)]
pub struct Memory {
    pub recent: Recent,
    pub guard: VerdictGuard,
}

/// Routes incoming publishes until the bus closes its channel.
pub async fn run(
    station: StationCode,
    routes: Routes,
    mut incoming: mpsc::Receiver<Incoming>,
    stats: Arc<RouterStats>,
    guard: VerdictGuard,
) {
    let mut memory = Memory {
        recent: Recent::default(),
        guard,
    };
    while let Some(message) = incoming.recv().await {
        route(&station, &routes, &message, &stats, &mut memory);
    }
}

/// Handles one incoming publish.
pub fn route(
    station: &StationCode,
    routes: &Routes,
    message: &Incoming,
    stats: &RouterStats,
    memory: &mut Memory,
) {
    let Some((lane, verdict)) = read_verdict(station, routes, message, stats, &mut memory.guard)
    else {
        return;
    };
    let recent = &mut memory.recent;
    DeviceStats::bump(&stats.verdicts);
    tracing::info!(lane, accepted = verdict.accepted, reason = %verdict.reason, scan_id = verdict.scan_id.as_deref().unwrap_or(""), "verdict");
    let line = verdict_line(&verdict);
    for display in routes.displays.get(&lane).into_iter().flatten() {
        display.show(line.clone());
    }
    let duplicate = verdict
        .booking_id
        .is_some_and(|b| verdict.accepted && !recent.first_time(b, Instant::now()));
    if duplicate {
        DeviceStats::bump(&stats.duplicates);
        tracing::info!(lane, booking = ?verdict.booking_id, "duplicate accepted verdict; not authorised again");
    } else if verdict.accepted {
        authorise(routes, lane, &verdict, stats);
    }
    if let Some(observer) = routes.observers.get(&lane) {
        let _ = observer.send(verdict);
    }
}

/// The scanned lane and the verdict, if `message` is a verdict for this station the
/// guard believes; anything else is ignored — a bad verdict counted and shown as
/// `NO bad_verdict` on the lane's displays.
fn read_verdict(
    station: &StationCode,
    routes: &Routes,
    message: &Incoming,
    stats: &RouterStats,
    guard: &mut VerdictGuard,
) -> Option<(u16, Verdict)> {
    let lane = match Topic::parse(&message.topic) {
        Some(Topic::Lane {
            station: s,
            lane,
            channel: LaneChannel::Verdict,
        }) if &s == station => lane,
        _ => {
            tracing::debug!(topic = %message.topic, "ignoring message on an unexpected topic");
            return None;
        }
    };
    if message.retain {
        tracing::debug!(lane, "ignoring a retained (old) verdict");
        return None;
    }
    match guard.check(&message.topic, &message.payload, Utc::now(), Instant::now()) {
        Ok(v) => Some((lane, v)),
        Err(why) => {
            let n = DeviceStats::bump(&stats.bad_verdicts);
            tracing::warn!(lane, %why, bad_verdicts = n, "verdict refused: nothing authorised");
            for display in routes.displays.get(&lane).into_iter().flatten() {
                display.show(BAD_VERDICT_LINE.to_owned());
            }
            None
        }
    }
}

/// What a lane's displays show for a verdict the bridge does not believe.
pub const BAD_VERDICT_LINE: &str = "NO bad_verdict";

/// Authorises the dispenser of the lane the accepted verdict sends the driver to.
fn authorise(routes: &Routes, scanned_at: u16, verdict: &Verdict, stats: &RouterStats) {
    let Some(assigned) = verdict.lane else {
        DeviceStats::bump(&stats.unassigned);
        tracing::warn!(lane = scanned_at, booking = ?verdict.booking_id, "accepted, but no lane is up: no dispenser authorised; the attendant serves this driver");
        return;
    };
    match routes.dispensers.get(&assigned) {
        Some(dispenser) => {
            DeviceStats::bump(&stats.authorisations);
            dispenser.authorize(Authorization::new(
                verdict.booking_id,
                verdict.quantity_kg.filter(|kg| kg.is_finite() && *kg > 0.0),
            ));
        }
        None => tracing::debug!(lane = assigned, "no dispenser configured on this lane"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    fn station() -> StationCode {
        StationCode::parse("MUM-0042").unwrap()
    }

    fn edge_key() -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[5u8; 32])
    }

    fn memory() -> Memory {
        Memory {
            recent: Recent::default(),
            guard: VerdictGuard::new(Some(edge_key().verifying_key()), Duration::from_secs(30)),
        }
    }

    /// A verdict as the edge publishes it: stamped now, signed for `topic`.
    fn message(topic: &str, payload: &str, retain: bool) -> Incoming {
        let now = Utc::now().to_rfc3339();
        let payload = payload.replace("2025-01-01T00:00:00Z", &now);
        let signed = gasq_shared::bussig::sign(
            &edge_key(),
            gasq_shared::bussig::VERDICT,
            topic,
            payload.as_bytes(),
        );
        Incoming {
            topic: topic.into(),
            payload: signed.unwrap_or_else(|_| payload.into_bytes()),
            retain,
        }
    }

    const ACCEPTED: &str = r#"{"scan_id":"1-x","accepted":true,"reason":"ok","booking_id":"0190f1a2-7c1e-7b4a-9c3d-5e6f7a8b9c0d","vehicle":"MH12AB1234","quantity_kg":8.5,"lane":2,"at":"2025-01-01T00:00:00Z"}"#;

    #[test]
    fn an_accepted_verdict_authorises_the_lanes_dispenser_for_the_booked_quantity() {
        let (handle, mut rx) = DispenserHandle::channel();
        let routes = Routes {
            dispensers: HashMap::from([(2, handle)]),
            ..Routes::default()
        };
        let stats = RouterStats::default();
        let mut recent = memory();
        let accepted = message("gasq/MUM-0042/lane/2/verdict", ACCEPTED, false);
        route(&station(), &routes, &accepted, &stats, &mut recent);
        let auth = rx.try_recv().unwrap();
        assert_eq!(auth.quantity_kg, Some(8.5));
        assert_eq!(
            auth.booking_id.unwrap().to_string(),
            "0190f1a2-7c1e-7b4a-9c3d-5e6f7a8b9c0d"
        );
        // The same verdict delivered again is a replay: it authorises nothing more.
        route(&station(), &routes, &accepted, &stats, &mut recent);
        assert!(rx.try_recv().is_err());
        assert_eq!(stats.bad_verdicts.load(Ordering::Relaxed), 1);
        // Another verdict accepting the same booking authorises nothing either.
        let again = message(
            "gasq/MUM-0042/lane/2/verdict",
            &ACCEPTED.replace("1-x", "1-y"),
            false,
        );
        route(&station(), &routes, &again, &stats, &mut recent);
        assert!(rx.try_recv().is_err());
        assert_eq!(stats.duplicates.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_dispenser_authorised_is_the_one_the_driver_is_sent_to() {
        let (one, mut rx_one) = DispenserHandle::channel();
        let (two, mut rx_two) = DispenserHandle::channel();
        let routes = Routes {
            dispensers: HashMap::from([(1, one), (2, two)]),
            ..Routes::default()
        };
        let stats = RouterStats::default();
        let mut recent = memory();
        // Scanned at lane 1, sent to lane 2 (`"lane":2` in the verdict).
        let accepted = message("gasq/MUM-0042/lane/1/verdict", ACCEPTED, false);
        route(&station(), &routes, &accepted, &stats, &mut recent);
        assert!(rx_one.try_recv().is_err());
        assert_eq!(rx_two.try_recv().unwrap().quantity_kg, Some(8.5));
        // No lane up: nobody is authorised, and it is counted.
        let nowhere = ACCEPTED
            .replace("\"lane\":2", "\"lane\":null")
            .replace("0190f1a2", "0190f1a3");
        let nowhere = message("gasq/MUM-0042/lane/1/verdict", &nowhere, false);
        route(&station(), &routes, &nowhere, &stats, &mut recent);
        assert!(rx_one.try_recv().is_err() && rx_two.try_recv().is_err());
        assert_eq!(stats.unassigned.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn retained_foreign_and_malformed_verdicts_authorise_nothing() {
        let (handle, mut rx) = DispenserHandle::channel();
        let routes = Routes {
            dispensers: HashMap::from([(1, handle)]),
            ..Routes::default()
        };
        let stats = RouterStats::default();
        for m in [
            message("gasq/MUM-0042/lane/1/verdict", ACCEPTED, true),
            message("gasq/DEL-0001/lane/1/verdict", ACCEPTED, false),
            message("gasq/MUM-0042/lane/1/verdict", "{\"accepted\":true}", false),
            message("gasq/MUM-0042/lane/1/verdict", "\u{0}\u{1}garbage", false),
        ] {
            route(&station(), &routes, &m, &stats, &mut memory());
        }
        let unsigned = Incoming {
            topic: "gasq/MUM-0042/lane/1/verdict".into(),
            payload: ACCEPTED.as_bytes().to_vec(),
            retain: false,
        };
        route(&station(), &routes, &unsigned, &stats, &mut memory());
        assert!(rx.try_recv().is_err());
        assert_eq!(stats.bad_verdicts.load(Ordering::Relaxed), 3);
    }
}
