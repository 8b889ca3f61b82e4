//! The line-protocol dispenser driver: a thread that owns the port, sends `AUTH` and
//! `PING`, and turns the dispenser's frames into events. Frames with a bad checksum are
//! dropped and counted; three unanswered pings, or a lost port, publish one `fault`.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gasq_shared::BookingId;
use gasq_shared::topics::{DispenserEvent, DispenserEventKind};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use super::frame::{Frame, MAX_BODY};
use super::tracker::Health;
use super::{Authorization, EventPublisher, event};
use crate::config::{DispenserConfig, Terminator};
use crate::serial::lines::{Chunk, LineSplitter};
use crate::serial::port::{self, Device, Port, is_quiet};
use crate::stats::DeviceStats;

/// Bounds each read, so an `AUTH` goes out within this time.
const READ_TIMEOUT: Duration = Duration::from_millis(50);
/// Unanswered pings before the dispenser counts as not responding.
const MAX_UNANSWERED: u32 = 3;

/// Starts a line-protocol dispenser's thread.
pub fn spawn(
    config: &DispenserConfig,
    publisher: EventPublisher,
    rx: UnboundedReceiver<Authorization>,
    stats: Arc<DeviceStats>,
    stop: CancellationToken,
) -> io::Result<JoinHandle<()>> {
    let label = format!("dispenser lane {} ({})", config.lane, config.port.display());
    let settings = config.serial();
    let mut device = LineDevice {
        rx,
        publisher,
        stats: Arc::clone(&stats),
        label: label.clone(),
        ping_every: config.ping_interval.get(),
        auth_timeout: config.auth_timeout.get(),
        health: Health::default(),
        fault_detail: None,
        current: None,
        unsent: None,
        splitter: LineSplitter::new(Terminator::LF, MAX_BODY + 8),
    };
    std::thread::Builder::new()
        .name(label.clone())
        .spawn(move || {
            port::keep_open(&label, &settings, READ_TIMEOUT, &stop, &stats, &mut device);
        })
}

struct LineDevice {
    rx: UnboundedReceiver<Authorization>,
    publisher: EventPublisher,
    stats: Arc<DeviceStats>,
    label: String,
    ping_every: Duration,
    auth_timeout: Duration,
    health: Health,
    /// The detail of the fault the dispenser last reported, while it lasts.
    fault_detail: Option<String>,
    /// The booking last authorised: events without a booking id belong to it.
    current: Option<BookingId>,
    /// An authorisation whose write failed: retried after the reconnect while fresh.
    unsent: Option<Authorization>,
    splitter: LineSplitter,
}

impl Device for LineDevice {
    fn session(&mut self, port: &mut Port, stop: &CancellationToken) -> io::Result<()> {
        self.splitter.reset();
        let mut unanswered = 0;
        let mut last_ping: Option<Instant> = None;
        let mut buf = [0u8; 256];
        let mut chunks = Vec::new();
        while !stop.is_cancelled() {
            self.send_authorisations(port)?;
            if last_ping.is_none_or(|t| t.elapsed() >= self.ping_every) {
                if unanswered >= MAX_UNANSWERED {
                    let fault = self.health.link_fault("dispenser not responding");
                    self.publish(fault);
                }
                self.write(port, &Frame::Ping)?;
                unanswered += 1;
                last_ping = Some(Instant::now());
            }
            match port.read(&mut buf) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "port closed")),
                Ok(n) => self.splitter.feed(&buf[..n], &mut chunks),
                Err(e) if is_quiet(&e) => {}
                Err(e) => return Err(e),
            }
            for chunk in chunks.drain(..) {
                if self.receive(chunk) {
                    unanswered = 0;
                }
            }
        }
        Ok(())
    }

    fn lost(&mut self, why: &str) {
        let fault = self.health.link_fault(why);
        self.publish(fault);
    }
}

impl LineDevice {
    /// Sends what waits, oldest first; anything older than `auth_timeout` (it queued
    /// while the port was down) is dropped and counted instead.
    fn send_authorisations(&mut self, port: &mut Port) -> io::Result<()> {
        while let Some(auth) = self.unsent.take().or_else(|| self.rx.try_recv().ok()) {
            if auth.is_fresh(self.auth_timeout) {
                self.authorise(port, auth)?;
            } else {
                DeviceStats::bump(&self.stats.write_dropped);
                tracing::warn!(device = %self.label, booking = ?auth.booking_id, "authorisation not sent: the dispenser was away too long");
            }
        }
        Ok(())
    }

    fn authorise(&mut self, port: &mut Port, auth: Authorization) -> io::Result<()> {
        let frame = Frame::Auth {
            booking: auth.booking_id,
            kg: auth.quantity_kg,
        };
        if let Err(e) = self.write(port, &frame) {
            self.unsent = Some(auth);
            return Err(e);
        }
        tracing::info!(device = %self.label, booking = ?auth.booking_id, kg = ?auth.quantity_kg, "dispenser authorised");
        self.current = auth.booking_id;
        Ok(())
    }

    fn write(&self, port: &mut Port, frame: &Frame) -> io::Result<()> {
        port.write_all(frame.encode().as_bytes())?;
        port.flush()?;
        DeviceStats::bump(&self.stats.written);
        Ok(())
    }

    /// Handles one received line; true when it was a valid frame (the dispenser lives).
    fn receive(&mut self, chunk: Chunk) -> bool {
        DeviceStats::bump(&self.stats.lines);
        let frame = match chunk {
            Chunk::Line(line) => Frame::decode(&line),
            Chunk::NotUtf8 | Chunk::TooLong => Err(super::frame::FrameError::NoStart),
        };
        match frame {
            Ok(frame) => {
                self.handle(frame);
                true
            }
            Err(e) => {
                let n = DeviceStats::bump(&self.stats.dropped_bad_frame);
                tracing::warn!(device = %self.label, error = %e, dropped = n, "dispenser frame dropped");
                false
            }
        }
    }

    fn handle(&mut self, frame: Frame) {
        let with = |kind, booking: Option<BookingId>| DispenserEvent {
            booking_id: booking,
            ..event(kind)
        };
        let published = match frame {
            Frame::Start { booking } => {
                Some(with(DispenserEventKind::Start, booking.or(self.current)))
            }
            Frame::Progress { booking, kg } => Some(DispenserEvent {
                kg: Some(kg),
                ..with(DispenserEventKind::Progress, booking.or(self.current))
            }),
            Frame::End { booking, kg, paise } => {
                let booking = booking.or(self.current.take());
                Some(DispenserEvent {
                    kg: Some(kg),
                    amount_paise: Some(paise),
                    ..with(DispenserEventKind::End, booking)
                })
            }
            Frame::Fault { code, text } => {
                let detail = text.map_or_else(|| code.clone(), |t| format!("{code}: {t}"));
                // A faulted dispenser answers every PING with its FAULT again: publish a
                // fault when it is new or its detail changed, not every ping interval.
                let repeated = self.health == Health::Fault
                    && self.fault_detail.as_deref() == Some(detail.as_str());
                self.fault_detail = Some(detail.clone());
                let event = self.health.device_fault(detail);
                (!repeated).then_some(event)
            }
            Frame::Ok => {
                self.fault_detail = None;
                self.health.ok()
            }
            Frame::Ack { booking } => {
                tracing::info!(device = %self.label, ?booking, "authorisation acknowledged");
                None
            }
            Frame::Nak { booking, reason } => {
                DeviceStats::bump(&self.stats.errors);
                tracing::warn!(device = %self.label, ?booking, %reason, "dispenser refused the authorisation");
                None
            }
            Frame::Auth { .. } | Frame::Ping => {
                DeviceStats::bump(&self.stats.dropped_bad_frame);
                tracing::warn!(device = %self.label, "dispenser sent a bridge command; ignored");
                None
            }
        };
        self.publish(published);
    }

    fn publish(&self, event: Option<DispenserEvent>) {
        if let Some(event) = event {
            tracing::info!(device = %self.label, event = ?event.event, "dispenser event");
            self.publisher.publish(event);
            DeviceStats::bump(&self.stats.published);
        }
    }
}
