//! The lane queue as a component: the pure [`policy::Queue`] behind a mutex, the
//! events its changes record, and a task that keeps the retained `queue` topic current
//! and saves the queue so a restart picks up where it stopped.
//!
//! Lane faults, recoveries and walk-ins are acknowledged writes: their events are
//! committed before the change is applied. The queue snapshot itself is saved at most
//! a second after a change (it is a view of who is standing in line, rebuilt by the
//! next arrivals if a crash loses that second).

pub mod policy;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use gasq_shared::BookingId;
use gasq_shared::sync::EdgeEventKind;
use gasq_shared::topics::{DispenserEvent, DispenserEventKind, LaneState, QueueSnapshot, Topic};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::bus::Bus;
use crate::db::{DbError, kv};
use crate::recorder::Recorder;
pub use policy::{Queue, UnknownLane};

/// How long after a change the queue is saved.
const SAVE_DELAY: Duration = Duration::from_secs(1);
/// How often the retained topic is refreshed and stale entries pruned.
const REFRESH: Duration = Duration::from_secs(30);
/// A vehicle waiting longer than this has left.
const MAX_WAIT_MINUTES: i64 = 180;

/// Why a lane change failed.
#[derive(Debug, thiserror::Error)]
pub enum LaneError {
    #[error(transparent)]
    Unknown(#[from] UnknownLane),
    #[error(transparent)]
    Db(#[from] DbError),
}

#[derive(Debug)]
struct Inner {
    queue: Mutex<Queue>,
    changed: Notify,
    recorder: Recorder,
}

/// The shared queue handle. Cheap to clone.
#[derive(Debug, Clone)]
pub struct QueueService {
    inner: Arc<Inner>,
}

impl QueueService {
    /// Restores the saved queue (or starts empty) for a station of `lanes` lanes.
    pub async fn load(
        recorder: Recorder,
        lanes: u16,
        service_minutes: u16,
    ) -> Result<Self, DbError> {
        let saved: Option<Queue> = recorder
            .db()
            .call(|c| kv::get(c, kv::keys::QUEUE).or(Ok(None)))
            .await?;
        let mut queue = saved.unwrap_or_else(|| Queue::new(lanes, service_minutes));
        queue.resize(lanes, f64::from(service_minutes), Utc::now());
        Ok(Self {
            inner: Arc::new(Inner {
                queue: Mutex::new(queue),
                changed: Notify::new(),
                recorder,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.inner.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn changed(&self) {
        self.inner.changed.notify_one();
    }

    /// A booking was redeemed (scanned at lane `scanned_at`, if at a lane): it joins the
    /// queue. Returns its lane.
    pub fn arrive_booking(
        &self,
        booking: BookingId,
        vehicle: Option<String>,
        scanned_at: Option<u16>,
    ) -> Option<u16> {
        let lane = self
            .lock()
            .arrive_booking(booking, vehicle, scanned_at, Utc::now());
        self.changed();
        lane
    }

    /// Issues a walk-in ticket (recorded first) and queues it. Returns ticket and lane.
    pub async fn walkin(&self, vehicle: Option<String>) -> Result<(u32, Option<u16>), DbError> {
        let ticket = self.inner.recorder.walkin(vehicle.clone()).await?;
        let lane = self.lock().add_walkin(ticket, vehicle, Utc::now());
        self.changed();
        Ok((ticket, lane))
    }

    /// Takes a lane up or down, recording `LaneOk` / `LaneFault` if that changes it.
    pub async fn set_lane(
        &self,
        lane: u16,
        up: bool,
        detail: Option<String>,
    ) -> Result<LaneState, LaneError> {
        let now = Utc::now();
        let current = self.lock().lane_state(lane, now).ok_or(UnknownLane(lane))?;
        if current.up != up {
            let event = if up {
                EdgeEventKind::LaneOk { lane }
            } else {
                EdgeEventKind::LaneFault { lane, detail }
            };
            self.inner.recorder.record(event).await?;
            self.lock().set_up(lane, up, now)?;
            self.changed();
        }
        Ok(self.lock().lane_state(lane, now).ok_or(UnknownLane(lane))?)
    }

    /// Applies a dispenser event from `lane`.
    pub async fn dispenser(&self, lane: u16, event: DispenserEvent) -> Result<(), LaneError> {
        let now = Utc::now();
        match event.event {
            DispenserEventKind::Fault => {
                self.set_lane(lane, false, event.detail).await?;
            }
            DispenserEventKind::Ok => {
                self.set_lane(lane, true, None).await?;
            }
            DispenserEventKind::Start => {
                self.lock().start(lane, event.booking_id, now)?;
                self.changed();
            }
            DispenserEventKind::Progress => {}
            DispenserEventKind::End => {
                self.lock().end(lane)?;
                self.changed();
                match event.kg {
                    Some(kg) => {
                        let fill = EdgeEventKind::Fill {
                            booking_id: event.booking_id,
                            lane,
                            kg,
                            amount_paise: event.amount_paise,
                        };
                        self.inner.recorder.record(fill).await?;
                    }
                    None => tracing::debug!(lane, "dispenser `end` without kg: no fill recorded"),
                }
            }
        }
        Ok(())
    }

    /// Follows a station config change.
    pub fn resize(&self, lanes: u16, service_minutes: u16) {
        self.lock()
            .resize(lanes, f64::from(service_minutes), Utc::now());
        self.changed();
    }

    pub fn snapshot(&self) -> QueueSnapshot {
        self.lock().snapshot(Utc::now())
    }

    /// Keeps the retained topic current and saves the queue, until `stop`.
    pub async fn run(self, bus: Bus, topic: Topic, stop: CancellationToken) {
        let mut save_at: Option<Instant> = None;
        let mut last_sample: Option<(u32, u16)> = None;
        let mut refresh = tokio::time::interval(REFRESH);
        bus.publish_json(&topic, &self.snapshot(), true);
        loop {
            let save_deadline = save_at.unwrap_or_else(|| Instant::now() + REFRESH);
            tokio::select! {
                _ = self.inner.changed.notified() => {
                    bus.publish_json(&topic, &self.snapshot(), true);
                    save_at.get_or_insert_with(|| Instant::now() + SAVE_DELAY);
                }
                _ = tokio::time::sleep_until(save_deadline), if save_at.is_some() => {
                    save_at = None;
                    self.save(&mut last_sample).await;
                }
                _ = refresh.tick() => {
                    if self.lock().prune(Utc::now(), MAX_WAIT_MINUTES) > 0 {
                        save_at.get_or_insert_with(|| Instant::now() + SAVE_DELAY);
                    }
                    bus.publish_json(&topic, &self.snapshot(), true);
                }
                _ = stop.cancelled() => {
                    self.save(&mut last_sample).await;
                    return;
                }
            }
        }
    }

    /// Saves the queue and records a `Queue` sample when its size changed.
    async fn save(&self, last_sample: &mut Option<(u32, u16)>) {
        let queue = self.lock().clone();
        let counts = queue.counts();
        let sample = (*last_sample != Some(counts)).then_some(EdgeEventKind::Queue {
            waiting: counts.0,
            lanes_up: counts.1,
        });
        let sampled = sample.is_some();
        let now = Utc::now();
        let saved = self
            .inner
            .recorder
            .db()
            .call(move |c| {
                let tx = c.transaction()?;
                kv::set(&tx, kv::keys::QUEUE, &queue, now)?;
                if let Some(event) = &sample {
                    crate::outbox::append(&tx, event, now)?;
                }
                tx.commit()?;
                Ok(())
            })
            .await;
        match saved {
            Ok(()) => {
                if sampled {
                    // A new sample goes out with the next push, like every other event.
                    self.inner.recorder.outbox_changed().notify_one();
                }
                *last_sample = Some(counts);
            }
            Err(e) => tracing::error!(error = %e, "cannot save the lane queue"),
        }
    }
}
