//! Slowing down password guessing without locking anyone out ("Login guessing",
//! docs/architecture.md). A counter (per account, per client address, per device
//! cookie) lets `free` failures through at once; each failure after that makes the next
//! attempt wait, twice as long each time (from `first_delay`, at most `window`). Nothing
//! is ever shut: an attempt that waited its turn is checked like any other. A counter is
//! forgotten once it has been quiet for `window` after its last delay ran out.
//!
//! Every attempt counts as a failure until it succeeds (the caller then clears the
//! counter, or takes the success back out of a shared one — [`ThrottleRule::forgive`]):
//! a burst of parallel guesses cannot slip past the count.

use chrono::{DateTime, Duration, Utc};

/// How one kind of counter slows attempts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Failures let through without delay.
    pub free: u32,
    /// The delay after failure number `free`; it doubles with each further failure.
    pub first_delay: Duration,
    /// The longest delay, and how long a counter must stay quiet to be forgotten.
    pub window: Duration,
}

/// A counter as stored: failures so far and when the next attempt may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub failures: u32,
    pub next_at: DateTime<Utc>,
}

/// What an attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Go ahead; store this counter (the attempt counted as a failure).
    Go(Counter),
    /// Too soon: try again in this many seconds (at least 1).
    Wait { retry_after_secs: u64 },
}

impl ThrottleRule {
    /// The wait imposed after failure number `failures`.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::zero();
        }
        // 2^20 × any sane first delay is far past any window: stop doubling there.
        let doublings = (failures - self.free).min(20);
        let delay = self.first_delay.checked_mul(1_i32 << doublings);
        delay.unwrap_or(self.window).min(self.window)
    }

    /// Decides an attempt at `now` against the stored counter (failures 0 when new).
    pub fn attempt(&self, stored: Counter, now: DateTime<Utc>) -> Attempt {
        let failures = if now >= stored.next_at + self.window {
            0 // quiet for a whole window: forgotten
        } else if now < stored.next_at {
            let wait = (stored.next_at - now).num_milliseconds();
            let secs = u64::try_from(wait).unwrap_or(0).div_ceil(1000).max(1);
            return Attempt::Wait {
                retry_after_secs: secs,
            };
        } else {
            stored.failures
        };
        let failures = failures.saturating_add(1);
        Attempt::Go(Counter {
            failures,
            next_at: now + self.delay(failures),
        })
    }
}

impl ThrottleRule {
    /// Takes one attempt that succeeded back out of `stored` at `now`: one failure
    /// fewer, and a wait no longer than that count imposes from now. (A shared counter,
    /// like a client address's, must not fill up with its users' successful logins.)
    pub fn forgive(&self, stored: Counter, now: DateTime<Utc>) -> Counter {
        let failures = stored.failures.saturating_sub(1);
        Counter {
            failures,
            next_at: stored.next_at.min(now + self.delay(failures)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> ThrottleRule {
        ThrottleRule {
            free: 3,
            first_delay: Duration::seconds(30),
            window: Duration::minutes(15),
        }
    }

    fn go(a: Attempt) -> Counter {
        match a {
            Attempt::Go(c) => c,
            Attempt::Wait { .. } => panic!("expected to go: {a:?}"),
        }
    }

    #[test]
    fn free_failures_go_at_once_then_each_waits_twice_as_long_up_to_the_window() {
        let r = rule();
        let delays: Vec<i64> = (1..=10).map(|f| r.delay(f).num_seconds()).collect();
        assert_eq!(delays, [0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
    }

    #[test]
    fn an_attempt_too_soon_waits_and_one_after_the_delay_goes() {
        let (r, t0) = (rule(), Utc::now());
        let mut c = Counter {
            failures: 0,
            next_at: t0,
        };
        for _ in 0..3 {
            c = go(r.attempt(c, t0));
        }
        assert_eq!(
            r.attempt(c, t0 + Duration::seconds(10)),
            Attempt::Wait {
                retry_after_secs: 20
            }
        );
        let c = go(r.attempt(c, t0 + Duration::seconds(30)));
        assert_eq!(c.failures, 4);
        assert_eq!(c.next_at, t0 + Duration::seconds(90));
    }

    #[test]
    fn a_success_taken_back_leaves_the_counter_as_the_failures_alone_made_it() {
        let (r, t0) = (rule(), Utc::now());
        let mut c = Counter {
            failures: 0,
            next_at: t0,
        };
        for _ in 0..3 {
            c = go(r.attempt(c, t0));
        }
        // The third attempt succeeded: two failures, no wait.
        assert_eq!(
            r.forgive(c, t0),
            Counter {
                failures: 2,
                next_at: t0
            }
        );
    }

    #[test]
    fn a_counter_quiet_for_a_window_after_its_delay_is_forgotten() {
        let (r, t0) = (rule(), Utc::now());
        let c = Counter {
            failures: 9,
            next_at: t0,
        };
        assert_eq!(go(r.attempt(c, t0 + Duration::minutes(14))).failures, 10);
        assert_eq!(go(r.attempt(c, t0 + Duration::minutes(15))).failures, 1);
    }
}
