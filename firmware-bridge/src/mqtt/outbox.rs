//! The bounded local buffer in front of the broker, and the bookkeeping that makes QoS 1
//! survive reconnects.
//!
//! rumqttc forgets unacknowledged publishes when a new session starts (clean session),
//! so the outbox keeps every message until its PUBACK: messages wait in `queue`, at most
//! `window` of them are handed to rumqttc at a time (`handed` until rumqttc gives them a
//! packet id, then `inflight`), and on a disconnect everything not acknowledged goes back
//! to the front of the queue in its original order. When the queue is over `capacity`
//! one message is dropped and counted, the least valuable first: a scan past its
//! expiry, then the oldest scan still waiting (its driver has most likely rescanned or
//! gone to the attendant), and only when nothing but dispenser records is left the
//! oldest of those — the newest carry the lane's current state (a fault cleared by a
//! later `ok`), which the edge must not miss.
//!
//! A message may carry an expiry: a scan that waited a minute for the broker belongs
//! to a driver who has rescanned or left, and must not redeem the booking now. Expired
//! messages are dropped (and counted) instead of sent. Dispenser events never expire.
//!
//! Pure logic: the [`Sink`] is rumqttc in production and a vector in the unit tests.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// One message for the bus (always published at QoS 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
    /// Not sent after this instant (`None`: kept until sent or pushed out).
    pub expires: Option<Instant>,
}

/// Where the outbox hands messages; `false` means "not taken, keep it".
pub trait Sink {
    fn offer(&self, message: &Message) -> bool;
}

/// Counters of the outbox, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Acknowledged by the broker.
    pub acked: u64,
    /// Dropped because the buffer was full (scans first, then the oldest).
    pub dropped: u64,
    /// Dropped because they waited past their expiry.
    pub expired: u64,
    /// Waiting for the broker, not yet handed to the client.
    pub queued: usize,
    /// Handed to the client, not yet acknowledged.
    pub in_flight: usize,
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    message: Message,
}

/// See the module docs.
#[derive(Debug)]
pub struct Outbox {
    queue: VecDeque<Entry>,
    handed: VecDeque<Entry>,
    inflight: HashMap<u16, Entry>,
    capacity: usize,
    window: usize,
    connected: bool,
    next_seq: u64,
    acked: u64,
    dropped: u64,
    expired: u64,
}

impl Outbox {
    /// `capacity` bounds the queue; `window` bounds what is handed over unacknowledged.
    pub fn new(capacity: usize, window: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            handed: VecDeque::new(),
            inflight: HashMap::new(),
            capacity: capacity.max(1),
            window: window.max(1),
            connected: false,
            next_seq: 0,
            acked: 0,
            dropped: 0,
            expired: 0,
        }
    }

    pub fn stats(&self) -> OutboxStats {
        OutboxStats {
            acked: self.acked,
            dropped: self.dropped,
            expired: self.expired,
            queued: self.queue.len(),
            in_flight: self.handed.len() + self.inflight.len(),
        }
    }

    /// Nothing waiting and nothing unacknowledged.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.handed.is_empty() && self.inflight.is_empty()
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Adds a message; it goes straight to the sink when connected and there is room.
    pub fn push(&mut self, message: Message, sink: &dyn Sink) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push_back(Entry { seq, message });
        self.trim();
        self.pump(sink);
    }

    /// The broker accepted the connection: start handing messages over.
    pub fn connected(&mut self, sink: &dyn Sink) {
        self.connected = true;
        self.pump(sink);
    }

    /// The connection is gone: everything unacknowledged waits again, oldest first.
    pub fn disconnected(&mut self) {
        self.connected = false;
        let mut back: Vec<Entry> = self.inflight.drain().map(|(_, e)| e).collect();
        back.extend(self.handed.drain(..));
        back.sort_by_key(|e| e.seq);
        for entry in back.into_iter().rev() {
            self.queue.push_front(entry);
        }
        self.trim();
    }

    /// The client wrote the next handed message with packet id `pkid`.
    pub fn sent(&mut self, pkid: u16) {
        if let Some(entry) = self.handed.pop_front() {
            self.inflight.insert(pkid, entry);
        }
    }

    /// The broker acknowledged `pkid`; returns whether it was ours.
    pub fn acked(&mut self, pkid: u16, sink: &dyn Sink) -> bool {
        let ours = self.inflight.remove(&pkid).is_some();
        if ours {
            self.acked += 1;
        }
        self.pump(sink);
        ours
    }

    fn pump(&mut self, sink: &dyn Sink) {
        while self.connected && self.handed.len() + self.inflight.len() < self.window {
            let Some(entry) = self.queue.pop_front() else {
                break;
            };
            if entry.message.expires.is_some_and(|at| Instant::now() >= at) {
                self.expired += 1;
                continue;
            }
            if sink.offer(&entry.message) {
                self.handed.push_back(entry);
            } else {
                self.queue.push_front(entry);
                break;
            }
        }
    }

    fn trim(&mut self) {
        while self.queue.len() > self.capacity {
            let now = Instant::now();
            let expired = self
                .queue
                .iter()
                .position(|e| e.message.expires.is_some_and(|at| now >= at));
            if let Some(i) = expired {
                self.queue.remove(i);
                self.expired += 1;
                continue;
            }
            let scan = self.queue.iter().position(|e| e.message.expires.is_some());
            self.queue.remove(scan.unwrap_or(0));
            self.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    #[derive(Default)]
    struct Recorder {
        taken: RefCell<Vec<String>>,
        refuse: bool,
    }

    impl Sink for Recorder {
        fn offer(&self, m: &Message) -> bool {
            if !self.refuse {
                self.taken.borrow_mut().push(m.topic.clone());
            }
            !self.refuse
        }
    }

    fn msg(n: usize) -> Message {
        Message {
            topic: format!("t{n}"),
            payload: vec![],
            expires: None,
        }
    }

    #[test]
    fn while_disconnected_messages_wait_and_the_oldest_are_dropped_when_full() {
        let sink = Recorder::default();
        let mut outbox = Outbox::new(3, 10);
        for n in 0..5 {
            outbox.push(msg(n), &sink);
        }
        assert!(sink.taken.borrow().is_empty());
        assert_eq!(outbox.stats().dropped, 2);
        outbox.connected(&sink);
        assert_eq!(*sink.taken.borrow(), ["t2", "t3", "t4"]);
    }

    #[test]
    fn a_full_buffer_drops_scans_before_any_dispenser_record() {
        let sink = Recorder::default();
        let mut outbox = Outbox::new(3, 10);
        let now = Instant::now();
        let scan = |n, expires| Message {
            expires: Some(expires),
            ..msg(n)
        };
        outbox.push(msg(0), &sink); // a dispenser record
        outbox.push(scan(1, now), &sink); // a scan already past its time
        outbox.push(scan(2, now + std::time::Duration::from_secs(60)), &sink);
        outbox.push(msg(3), &sink); // full: the expired scan goes
        outbox.push(msg(4), &sink); // full: the waiting scan goes
        outbox.push(msg(5), &sink); // only records left: the oldest goes
        let stats = outbox.stats();
        assert_eq!((stats.expired, stats.dropped), (1, 2));
        outbox.connected(&sink);
        assert_eq!(*sink.taken.borrow(), ["t3", "t4", "t5"]);
    }

    #[test]
    fn at_most_a_window_of_messages_is_unacknowledged() {
        let sink = Recorder::default();
        let mut outbox = Outbox::new(100, 2);
        outbox.connected(&sink);
        for n in 0..4 {
            outbox.push(msg(n), &sink);
        }
        assert_eq!(sink.taken.borrow().len(), 2);
        outbox.sent(1);
        outbox.sent(2);
        assert!(outbox.acked(1, &sink));
        assert_eq!(*sink.taken.borrow(), ["t0", "t1", "t2"]);
        assert_eq!(outbox.stats().acked, 1);
    }

    #[test]
    fn unacknowledged_messages_are_sent_again_in_order_after_a_reconnect() {
        let sink = Recorder::default();
        let mut outbox = Outbox::new(100, 10);
        outbox.connected(&sink);
        for n in 0..3 {
            outbox.push(msg(n), &sink);
        }
        outbox.sent(7);
        outbox.sent(8);
        outbox.acked(8, &sink); // t1 made it; t0 (pkid 7) and t2 (never sent) did not
        outbox.disconnected();
        outbox.push(msg(3), &sink);
        sink.taken.borrow_mut().clear();
        outbox.connected(&sink);
        assert_eq!(*sink.taken.borrow(), ["t0", "t2", "t3"]);
    }

    #[test]
    fn a_sink_that_refuses_leaves_the_message_queued() {
        let sink = Recorder {
            refuse: true,
            ..Recorder::default()
        };
        let mut outbox = Outbox::new(10, 10);
        outbox.connected(&sink);
        outbox.push(msg(0), &sink);
        assert_eq!(outbox.stats().queued, 1);
        assert!(!outbox.is_idle());
    }

    #[test]
    fn a_message_that_waited_past_its_expiry_is_dropped_not_sent() {
        let sink = Recorder::default();
        let mut outbox = Outbox::new(10, 10);
        let now = Instant::now();
        outbox.push(
            Message {
                expires: Some(now),
                ..msg(0)
            },
            &sink,
        );
        let later = now + std::time::Duration::from_secs(3600);
        outbox.push(
            Message {
                expires: Some(later),
                ..msg(1)
            },
            &sink,
        );
        outbox.push(msg(2), &sink);
        outbox.connected(&sink);
        assert_eq!(*sink.taken.borrow(), ["t1", "t2"]);
        assert_eq!(outbox.stats().expired, 1);
    }

    #[test]
    fn an_unknown_ack_is_not_counted() {
        let sink = Recorder::default();
        let mut outbox = Outbox::new(10, 10);
        assert!(!outbox.acked(42, &sink));
        assert_eq!(outbox.stats().acked, 0);
    }
}
