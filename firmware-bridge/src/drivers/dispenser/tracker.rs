//! Turning what a dispenser reports into contract events, without I/O.
//!
//! [`Health`] keeps `ok` and link faults from repeating (a line dispenser answers every
//! `PING` with `OK`; a Modbus dispenser is polled twice a second). [`ModbusTracker`]
//! turns successive status-register readings into `start` / `progress` / `end` /
//! `fault` / `ok` events.

use std::time::{Duration, Instant};

use gasq_shared::BookingId;
use gasq_shared::topics::{DispenserEvent, DispenserEventKind};

use super::{event, round_kg};
use crate::config::StatusCodes;

/// Whether the lane's dispenser can serve, as last published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    #[default]
    Unknown,
    Ok,
    Fault,
}

impl Health {
    /// The dispenser says it is fine: an `ok` event unless that was already said.
    pub fn ok(&mut self) -> Option<DispenserEvent> {
        (std::mem::replace(self, Self::Ok) != Self::Ok).then(|| event(DispenserEventKind::Ok))
    }

    /// A fault the bridge noticed (link lost, no answer): published once until `ok`.
    pub fn link_fault(&mut self, detail: &str) -> Option<DispenserEvent> {
        (std::mem::replace(self, Self::Fault) != Self::Fault).then(|| fault(detail.to_owned()))
    }

    /// A fault the dispenser reported: always published.
    pub fn device_fault(&mut self, detail: String) -> DispenserEvent {
        *self = Self::Fault;
        fault(detail)
    }
}

fn fault(detail: String) -> DispenserEvent {
    DispenserEvent {
        detail: Some(detail),
        ..event(DispenserEventKind::Fault)
    }
}

/// One poll of a Modbus dispenser's registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub status: u16,
    /// Delivered quantity in register units (1/`kg_scale` kg).
    pub delivered: u32,
    pub amount_paise: u32,
    pub fault_code: u16,
}

#[derive(Debug, Clone)]
struct Fill {
    booking: Option<BookingId>,
    progress_at: Instant,
    progress_value: u32,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub struct ModbusTracker {
    codes: StatusCodes,
    kg_scale: f64,
    progress_every: Duration,
    health: Health,
    fault_code: Option<u16>,
    authorised: Option<BookingId>,
    fill: Option<Fill>,
    last_status: Option<u16>,
}

impl ModbusTracker {
    pub fn new(codes: StatusCodes, kg_scale: u32, progress_every: Duration) -> Self {
        Self {
            codes,
            kg_scale: f64::from(kg_scale.max(1)),
            progress_every,
            health: Health::Unknown,
            fault_code: None,
            authorised: None,
            fill: None,
            last_status: None,
        }
    }

    /// The bridge authorised a fill for `booking`; its events will carry the id.
    pub fn authorised(&mut self, booking: Option<BookingId>) {
        self.authorised = booking;
    }

    /// The dispenser did not answer (or its port is gone).
    pub fn unreachable(&mut self, why: &str) -> Option<DispenserEvent> {
        self.last_status = None;
        self.fault_code = None;
        self.health.link_fault(why)
    }

    /// Events implied by a new reading.
    pub fn reading(&mut self, r: Reading, now: Instant) -> Vec<DispenserEvent> {
        let mut out = Vec::new();
        out.extend(self.health_of(r));
        let kg = round_kg(f64::from(r.delivered) / self.kg_scale);
        if r.status == self.codes.fuelling {
            out.extend(self.fuelling(r.delivered, kg, now));
        } else if r.status == self.codes.done || r.status == self.codes.idle {
            out.extend(self.finished(r, kg));
        }
        self.last_status = Some(r.status);
        out
    }

    /// A `fault` when the fault code is new, an `ok` when the dispenser is fine again.
    fn health_of(&mut self, r: Reading) -> Option<DispenserEvent> {
        if r.status == self.codes.fault {
            if self.fault_code == Some(r.fault_code) {
                return None;
            }
            self.fault_code = Some(r.fault_code);
            Some(
                self.health
                    .device_fault(format!("fault code {}", r.fault_code)),
            )
        } else {
            self.fault_code = None;
            self.health.ok()
        }
    }

    /// The dispenser is fuelling: `start` for a new fill, `progress` every
    /// `progress_every` while the delivered quantity moves.
    fn fuelling(&mut self, delivered: u32, kg: f64, now: Instant) -> Option<DispenserEvent> {
        match &mut self.fill {
            None => {
                let booking = self.authorised.take();
                self.fill = Some(Fill {
                    booking,
                    progress_at: now,
                    progress_value: delivered,
                });
                Some(DispenserEvent {
                    booking_id: booking,
                    ..event(DispenserEventKind::Start)
                })
            }
            Some(fill) => {
                let due = now.duration_since(fill.progress_at) >= self.progress_every
                    && fill.progress_value != delivered;
                if !due {
                    return None;
                }
                fill.progress_at = now;
                fill.progress_value = delivered;
                Some(DispenserEvent {
                    booking_id: fill.booking,
                    kg: Some(kg),
                    ..event(DispenserEventKind::Progress)
                })
            }
        }
    }

    /// The dispenser is done or idle: `end` for the fill that was running — or for an
    /// authorised fill too short to be seen fuelling.
    fn finished(&mut self, r: Reading, kg: f64) -> Option<DispenserEvent> {
        let finished = self.fill.take().map(|f| f.booking);
        let unseen = r.status == self.codes.done
            && self.last_status.is_some_and(|s| s != self.codes.done)
            && self.authorised.is_some();
        let booking_id = match finished {
            Some(b) => b,
            None if unseen => self.authorised.take(),
            None => return None,
        };
        Some(DispenserEvent {
            booking_id,
            kg: Some(kg),
            amount_paise: Some(i64::from(r.amount_paise)),
            ..event(DispenserEventKind::End)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(events: &[DispenserEvent]) -> Vec<DispenserEventKind> {
        events.iter().map(|e| e.event).collect()
    }

    fn reading(status: u16, delivered: u32) -> Reading {
        Reading {
            status,
            delivered,
            amount_paise: delivered * 88,
            fault_code: 0,
        }
    }

    #[test]
    fn ok_is_said_once_and_a_link_fault_once() {
        let mut h = Health::default();
        assert!(h.ok().is_some());
        assert!(h.ok().is_none());
        assert!(h.link_fault("gone").is_some());
        assert!(h.link_fault("gone").is_none());
        assert!(h.ok().is_some());
    }

    #[test]
    fn a_fill_is_start_progress_end_with_the_authorised_booking() {
        use DispenserEventKind::*;
        let booking = BookingId::new();
        let mut t = ModbusTracker::new(StatusCodes::default(), 100, Duration::from_secs(5));
        let t0 = Instant::now();
        assert_eq!(kinds(&t.reading(reading(0, 0), t0)), [Ok]);
        t.authorised(Some(booking));
        assert!(t.reading(reading(1, 0), t0).is_empty());
        let start = t.reading(reading(2, 10), t0);
        assert_eq!(kinds(&start), [Start]);
        assert_eq!(start[0].booking_id, Some(booking));
        assert!(
            t.reading(reading(2, 200), t0 + Duration::from_secs(1))
                .is_empty()
        );
        let progress = t.reading(reading(2, 420), t0 + Duration::from_secs(6));
        assert_eq!(kinds(&progress), [Progress]);
        assert_eq!(progress[0].kg, Some(4.2));
        let end = t.reading(reading(3, 850), t0 + Duration::from_secs(9));
        assert_eq!(kinds(&end), [End]);
        assert_eq!(
            (end[0].kg, end[0].amount_paise, end[0].booking_id),
            (Some(8.5), Some(74_800), Some(booking))
        );
        assert!(
            t.reading(reading(0, 850), t0 + Duration::from_secs(10))
                .is_empty()
        );
    }

    #[test]
    fn a_fault_is_reported_once_per_code_and_cleared_with_ok() {
        use DispenserEventKind::*;
        let mut t = ModbusTracker::new(StatusCodes::default(), 100, Duration::from_secs(5));
        let now = Instant::now();
        let fault = Reading {
            status: 4,
            delivered: 0,
            amount_paise: 0,
            fault_code: 12,
        };
        let first = t.reading(fault, now);
        assert_eq!(kinds(&first), [Fault]);
        assert_eq!(first[0].detail.as_deref(), Some("fault code 12"));
        assert!(t.reading(fault, now).is_empty());
        assert_eq!(kinds(&t.reading(reading(0, 0), now)), [Ok]);
    }

    #[test]
    fn a_fill_too_quick_to_be_seen_still_ends() {
        let mut t = ModbusTracker::new(StatusCodes::default(), 100, Duration::from_secs(5));
        let now = Instant::now();
        t.reading(reading(0, 0), now);
        t.authorised(None);
        t.authorised(Some(BookingId::new()));
        let end = t.reading(reading(3, 500), now);
        assert_eq!(kinds(&end), [DispenserEventKind::End]);
    }

    #[test]
    fn an_unreachable_dispenser_is_a_fault_once() {
        let mut t = ModbusTracker::new(StatusCodes::default(), 100, Duration::from_secs(5));
        assert!(t.unreachable("no answer").is_some());
        assert!(t.unreachable("no answer").is_none());
        assert_eq!(
            kinds(&t.reading(reading(0, 0), Instant::now())),
            [DispenserEventKind::Ok]
        );
    }
}
