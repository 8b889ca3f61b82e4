//! Dispensers: the ASCII line protocol ([`line`](mod@line), framing in [`frame`]) and Modbus RTU
//! ([`modbus`]). Both take [`Authorization`]s through a [`DispenserHandle`] and publish
//! what the dispenser reports as contract JSON on `gasq/{station}/lane/{lane}/dispenser`.

pub mod frame;
pub mod line;
pub mod modbus;
pub mod tracker;

use std::time::{Duration, Instant};

use gasq_shared::topics::{DispenserEvent, DispenserEventKind, LaneChannel, Topic};
use gasq_shared::{BookingId, StationCode};
use tokio::sync::mpsc;

use crate::mqtt::Bus;

/// Permission for one fill: the booking the edge accepted and its quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorization {
    pub booking_id: Option<BookingId>,
    /// `None` is a fill to full.
    pub quantity_kg: Option<f64>,
    /// When the edge's verdict arrived.
    pub issued: Instant,
}

impl Authorization {
    pub fn new(booking_id: Option<BookingId>, quantity_kg: Option<f64>) -> Self {
        Self {
            booking_id,
            quantity_kg,
            issued: Instant::now(),
        }
    }

    /// Still worth sending: younger than `limit` (the dispenser's `auth_timeout`).
    /// An older one queued while the dispenser was away; the driver has gone to the
    /// attendant, and arming the pump now would hand the fill to whoever is next.
    pub fn is_fresh(&self, limit: Duration) -> bool {
        self.issued.elapsed() < limit
    }
}

/// Sends authorisations to one dispenser's driver.
#[derive(Debug, Clone)]
pub struct DispenserHandle {
    tx: mpsc::UnboundedSender<Authorization>,
}

impl DispenserHandle {
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<Authorization>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }

    /// Queues an authorisation; false when the driver has stopped.
    pub fn authorize(&self, auth: Authorization) -> bool {
        self.tx.send(auth).is_ok()
    }
}

/// Publishes dispenser events of one lane.
#[derive(Debug, Clone)]
pub struct EventPublisher {
    topic: String,
    bus: Bus,
}

impl EventPublisher {
    pub fn new(station: &StationCode, lane: u16, bus: Bus) -> Self {
        Self {
            topic: Topic::lane(station, lane, LaneChannel::Dispenser).to_string(),
            bus,
        }
    }

    /// Publishes `event`, stamped with the current time.
    pub fn publish(&self, mut event: DispenserEvent) {
        event.at.get_or_insert_with(chrono::Utc::now);
        match serde_json::to_vec(&event) {
            Ok(payload) => self.bus.publish(self.topic.clone(), payload),
            Err(e) => tracing::error!(error = %e, "cannot encode dispenser event"),
        }
    }
}

/// An event with only its kind set.
pub fn event(kind: DispenserEventKind) -> DispenserEvent {
    DispenserEvent {
        event: kind,
        booking_id: None,
        kg: None,
        amount_paise: None,
        at: None,
        detail: None,
    }
}

/// Rounds kilograms to 10 g, as tokens and receipts carry them.
pub fn round_kg(kg: f64) -> f64 {
    (kg * 100.0).round() / 100.0
}
