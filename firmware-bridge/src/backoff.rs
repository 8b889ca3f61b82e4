//! Jittered exponential backoff, for reconnecting to the broker and reopening serial
//! ports. Jitter keeps several bridges (or several ports) from retrying in lockstep.

use std::time::Duration;

use rand::Rng;

/// Waits that double from `min` up to `max`; each wait is drawn from `[d/2, d]`.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    current: Option<Duration>,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        Self {
            min,
            max: max.max(min),
            current: None,
        }
    }

    /// The next wait.
    pub fn next_wait(&mut self) -> Duration {
        let next = match self.current {
            None => self.min,
            Some(d) => (d * 2).min(self.max),
        };
        self.current = Some(next);
        let half = next / 2;
        let jitter = rand::thread_rng().gen_range(0..=half.as_micros().max(1) as u64);
        half + Duration::from_micros(jitter)
    }

    /// Success: the next failure starts from `min` again.
    pub fn reset(&mut self) {
        self.current = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_to_the_maximum_and_reset_after_success() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
        let waits: Vec<Duration> = (0..6).map(|_| b.next_wait()).collect();
        assert!(waits[0] <= Duration::from_millis(100));
        assert!(waits.iter().all(|w| *w <= Duration::from_millis(400)));
        assert!(waits[5] >= Duration::from_millis(200));
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(100));
    }
}
