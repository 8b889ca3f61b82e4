//! The lane queue as a pure value: who waits, in which order, for which lane.
//!
//! Policy: vehicles with an accepted booking (a token is only accepted inside its
//! window) wait ahead of walk-ins; among each kind, first come first served. A newcomer
//! is sent to the lane where it would start fuelling soonest, counting only the
//! vehicles ahead of it in that order; ties go to the lane where the driver scanned
//! (they are already there), then to the lowest lane number. A vehicle
//! keeps the lane it was told unless that lane goes down, in which case everyone sent
//! there (and the car at its pump) is sent again, in order. With no lane up, vehicles
//! wait unassigned until one comes up.

use chrono::{DateTime, Utc};
use gasq_shared::BookingId;
use gasq_shared::topics::{LaneState, QueueEntry, QueueSnapshot};
use serde::{Deserialize, Serialize};

const BOOKING: &str = "booking";
const WALKIN: &str = "walkin";

/// A lane number the station does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("lane {0} does not exist at this station")]
pub struct UnknownLane(pub u16);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Lane {
    number: u16,
    up: bool,
    serving: Option<QueueEntry>,
    /// When the vehicle now at the pump started.
    started: Option<DateTime<Utc>>,
}

/// The queue of one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    service_minutes: f64,
    lanes: Vec<Lane>,
    /// The waiting order: bookings (by arrival), then walk-ins (by ticket).
    waiting: Vec<QueueEntry>,
}

impl Queue {
    pub fn new(lanes: u16, service_minutes: u16) -> Self {
        let mut queue = Self {
            service_minutes: f64::from(service_minutes.max(1)),
            lanes: Vec::new(),
            waiting: Vec::new(),
        };
        queue.resize(lanes, f64::from(service_minutes.max(1)), Utc::now());
        queue
    }

    /// Follows a station config change: lanes added come up, lanes removed are
    /// treated as down for good.
    pub fn resize(&mut self, lanes: u16, service_minutes: f64, now: DateTime<Utc>) {
        self.service_minutes = service_minutes.max(1.0);
        let removed: Vec<u16> = self
            .lanes
            .iter()
            .map(|l| l.number)
            .filter(|n| *n > lanes)
            .collect();
        for n in removed {
            let _ = self.set_up(n, false, now);
        }
        self.lanes.retain(|l| l.number <= lanes);
        for number in (self.lanes.len() as u16 + 1)..=lanes {
            self.lanes.push(Lane {
                number,
                up: true,
                serving: None,
                started: None,
            });
        }
        self.assign_unassigned(now);
    }

    /// A booking's token was accepted: it joins after the bookings already waiting.
    /// Returns the lane it is sent to. Arriving twice keeps the first place.
    /// `scanned_at` is the lane whose scanner read the token, if any.
    pub fn arrive_booking(
        &mut self,
        booking_id: BookingId,
        vehicle: Option<String>,
        scanned_at: Option<u16>,
        now: DateTime<Utc>,
    ) -> Option<u16> {
        if let Some(e) = self
            .waiting
            .iter()
            .find(|e| e.booking_id == Some(booking_id))
        {
            return e.lane;
        }
        let at = self.waiting.iter().filter(|e| e.kind == BOOKING).count();
        let entry = QueueEntry {
            kind: BOOKING.into(),
            booking_id: Some(booking_id),
            ticket: None,
            vehicle,
            lane: None,
            since: now,
        };
        self.waiting.insert(at, entry);
        self.assign(at, scanned_at, now)
    }

    /// A walk-in with ticket `ticket` joins at the end. Returns its lane.
    pub fn add_walkin(
        &mut self,
        ticket: u32,
        vehicle: Option<String>,
        now: DateTime<Utc>,
    ) -> Option<u16> {
        self.waiting.push(QueueEntry {
            kind: WALKIN.into(),
            booking_id: None,
            ticket: Some(ticket),
            vehicle,
            lane: None,
            since: now,
        });
        self.assign(self.waiting.len() - 1, None, now)
    }

    /// Marks a lane up or down (dispenser `ok`/`fault`, or the attendant).
    pub fn set_up(&mut self, lane: u16, up: bool, now: DateTime<Utc>) -> Result<(), UnknownLane> {
        let l = self.lane_mut(lane)?;
        if l.up == up {
            return Ok(());
        }
        l.up = up;
        if !up {
            // The car at a failed pump goes back to the head of the line.
            let at_pump = l.serving.take();
            l.started = None;
            if let Some(mut entry) = at_pump {
                entry.lane = None;
                self.waiting.insert(0, entry);
            }
            for e in &mut self.waiting {
                if e.lane == Some(lane) {
                    e.lane = None;
                }
            }
        }
        self.assign_unassigned(now);
        Ok(())
    }

    /// A dispenser started fuelling: the named booking, or the next vehicle sent to
    /// this lane, moves to the pump.
    pub fn start(
        &mut self,
        lane: u16,
        booking_id: Option<BookingId>,
        now: DateTime<Utc>,
    ) -> Result<(), UnknownLane> {
        self.lane_mut(lane)?;
        let index = match booking_id {
            Some(id) => self.waiting.iter().position(|e| e.booking_id == Some(id)),
            None => self.waiting.iter().position(|e| e.lane == Some(lane)),
        };
        let entry = match index {
            Some(i) => self.waiting.remove(i),
            // Someone nobody queued (or a booking we never saw arrive) is at the pump.
            None => QueueEntry {
                kind: if booking_id.is_some() {
                    BOOKING
                } else {
                    WALKIN
                }
                .into(),
                booking_id,
                ticket: None,
                vehicle: None,
                lane: Some(lane),
                since: now,
            },
        };
        let l = self.lane_mut(lane)?;
        l.serving = Some(QueueEntry {
            lane: Some(lane),
            ..entry
        });
        l.started = Some(now);
        Ok(())
    }

    /// A dispenser finished: its pump is free.
    pub fn end(&mut self, lane: u16) -> Result<(), UnknownLane> {
        let l = self.lane_mut(lane)?;
        l.serving = None;
        l.started = None;
        Ok(())
    }

    /// Drops vehicles that have waited longer than `max_minutes` (they left).
    pub fn prune(&mut self, now: DateTime<Utc>, max_minutes: i64) -> usize {
        let before = self.waiting.len();
        self.waiting
            .retain(|e| (now - e.since).num_minutes() < max_minutes);
        before - self.waiting.len()
    }

    /// `(vehicles waiting, lanes up)`.
    pub fn counts(&self) -> (u32, u16) {
        (
            self.waiting.len() as u32,
            self.lanes.iter().filter(|l| l.up).count() as u16,
        )
    }

    pub fn lane_count(&self) -> u16 {
        self.lanes.len() as u16
    }

    pub fn lane_state(&self, lane: u16, now: DateTime<Utc>) -> Option<LaneState> {
        let l = self.lanes.iter().find(|l| l.number == lane)?;
        let waiting = self.waiting_for(lane, self.waiting.len());
        Some(LaneState {
            lane,
            up: l.up,
            serving: l.serving.clone(),
            waiting,
            expected_wait_minutes: self.wait_at(l, waiting, now),
        })
    }

    pub fn snapshot(&self, now: DateTime<Utc>) -> QueueSnapshot {
        QueueSnapshot {
            lanes: self
                .lanes
                .iter()
                .filter_map(|l| self.lane_state(l.number, now))
                .collect(),
            waiting: self.waiting.clone(),
            updated_at: now,
        }
    }

    fn lane_mut(&mut self, lane: u16) -> Result<&mut Lane, UnknownLane> {
        self.lanes
            .iter_mut()
            .find(|l| l.number == lane)
            .ok_or(UnknownLane(lane))
    }

    /// Vehicles among the first `ahead` waiting that were sent to `lane`.
    fn waiting_for(&self, lane: u16, ahead: usize) -> u32 {
        self.waiting[..ahead]
            .iter()
            .filter(|e| e.lane == Some(lane))
            .count() as u32
    }

    /// Minutes until a vehicle with `ahead` vehicles before it at `lane` starts.
    fn wait_at(&self, lane: &Lane, ahead: u32, now: DateTime<Utc>) -> f64 {
        let at_pump = match lane.started {
            Some(t) if lane.serving.is_some() => {
                let elapsed = (now - t).num_milliseconds() as f64 / 60_000.0;
                (self.service_minutes - elapsed).max(0.0)
            }
            _ => 0.0,
        };
        at_pump + f64::from(ahead) * self.service_minutes
    }

    /// Sends the entry at `index` to the up lane where it starts soonest; on a tie, to
    /// `preferred` (the lane where the driver stands) if it is among the best.
    fn assign(&mut self, index: usize, preferred: Option<u16>, now: DateTime<Utc>) -> Option<u16> {
        let best = self
            .lanes
            .iter()
            .filter(|l| l.up)
            .map(|l| {
                (
                    self.wait_at(l, self.waiting_for(l.number, index), now),
                    Some(l.number) != preferred,
                    l.number,
                )
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)))
            .map(|(_, _, n)| n);
        self.waiting[index].lane = best;
        best
    }

    fn assign_unassigned(&mut self, now: DateTime<Utc>) {
        for i in 0..self.waiting.len() {
            if self.waiting[i].lane.is_none() {
                self.assign(i, None, now);
            }
        }
    }
}

#[cfg(test)]
mod tests;
