//! Time the validator can trust (docs/edge.md "Time"): a station box may boot offline
//! with its clock set back, or have it jump forward, and a token's window is only as
//! good as the clock it is checked against.
//!
//! The agent keeps the cloud's time as last confirmed — the `Date` of every answer from
//! the cloud — with the monotonic clock since ([`TrustedClock::observe`]), and persists
//! it as the "last known good time" (kv `last_good_time`). Then:
//! - confirmed in this run: when the wall clock and that reference disagree by more
//!   than `clock_max_drift_secs`, the reference is used;
//! - only the persisted value (the box restarted, the cloud not reached since): it is a
//!   floor — true time cannot be earlier than it plus the time this run has been up —
//!   and a wall clock earlier than the floor is not believed.
//!
//! Verdicts still carry the wall clock's `at`: the bridge, usually on the same box,
//! judges their age by that same clock.

use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Which clock a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The wall clock, agreeing with the cloud (or nothing to check it against).
    Wall,
    /// The cloud's time (last confirmed, plus the monotonic clock since): the wall
    /// clock is off by more than the bound.
    Cloud,
    /// The last known good time plus uptime: the wall clock is earlier than that.
    LastKnownGood,
}

/// One reading of the trusted clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The time to judge tokens by.
    pub at: DateTime<Utc>,
    pub source: Source,
    /// How far the wall clock is ahead of the reference (negative: behind), if known.
    pub wall_off_secs: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    cloud_at: DateTime<Utc>,
    at: Instant,
    /// Confirmed by the cloud in this run (else only a floor).
    confirmed: bool,
}

impl Anchor {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = Duration::from_std(self.at.elapsed()).unwrap_or(Duration::zero());
        self.cloud_at + elapsed
    }
}

/// See the module docs. Share it behind an `Arc`.
#[derive(Debug)]
pub struct TrustedClock {
    anchor: Mutex<Option<Anchor>>,
    bound: Duration,
}

impl TrustedClock {
    /// A clock starting from the persisted last known good time (if any), trusting the
    /// wall clock within `bound_secs` of the cloud's.
    pub fn new(last_good: Option<DateTime<Utc>>, bound_secs: u64) -> Self {
        let anchor = last_good.map(|cloud_at| Anchor {
            cloud_at,
            at: Instant::now(),
            confirmed: false,
        });
        Self {
            anchor: Mutex::new(anchor),
            bound: Duration::seconds(i64::try_from(bound_secs).unwrap_or(i64::MAX / 1000)),
        }
    }

    /// The cloud said it is `cloud_now` (now).
    pub fn observe(&self, cloud_now: DateTime<Utc>) {
        let mut anchor = self.anchor.lock().unwrap_or_else(|p| p.into_inner());
        *anchor = Some(Anchor {
            cloud_at: cloud_now,
            at: Instant::now(),
            confirmed: true,
        });
    }

    /// The cloud's time as last confirmed plus the monotonic clock since (or the floor),
    /// to persist as the last known good time.
    pub fn reference(&self) -> Option<DateTime<Utc>> {
        let anchor = *self.anchor.lock().unwrap_or_else(|p| p.into_inner());
        anchor.map(|a| a.now())
    }

    /// The time to judge tokens by.
    pub fn now(&self) -> Reading {
        let wall = Utc::now();
        let anchor = *self.anchor.lock().unwrap_or_else(|p| p.into_inner());
        let Some(anchor) = anchor else {
            return reading(wall, Source::Wall, None);
        };
        let reference = anchor.now();
        let off = Some((wall - reference).num_seconds());
        if anchor.confirmed && (wall - reference).abs() > self.bound {
            reading(reference, Source::Cloud, off)
        } else if !anchor.confirmed && wall < reference {
            reading(reference, Source::LastKnownGood, off)
        } else {
            reading(wall, Source::Wall, off)
        }
    }

    /// What an operator should know, if the wall clock is not being believed.
    pub fn warning(&self) -> Option<String> {
        let now = self.now();
        let off = now.wall_off_secs.unwrap_or(0);
        let fix = "turn on time sync: timedatectl set-ntp true (check with timedatectl status)";
        match now.source {
            Source::Wall => None,
            Source::Cloud => Some(format!(
                "this box's clock is {off} s off the cloud's: tokens are judged by the cloud's time; {fix}"
            )),
            Source::LastKnownGood => Some(format!(
                "this box's clock is {} s earlier than the last time the cloud confirmed: tokens are judged by that time; {fix}",
                -off
            )),
        }
    }
}

fn reading(at: DateTime<Utc>, source: Source, wall_off_secs: Option<i64>) -> Reading {
    Reading {
        at,
        source,
        wall_off_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_anything_to_go_by_the_wall_clock_is_used() {
        let clock = TrustedClock::new(None, 120);
        assert_eq!(clock.now().source, Source::Wall);
        assert!(clock.warning().is_none());
    }

    #[test]
    fn a_wall_clock_off_the_cloud_by_more_than_the_bound_is_overruled() {
        let clock = TrustedClock::new(None, 120);
        clock.observe(Utc::now() + Duration::seconds(60));
        assert_eq!(clock.now().source, Source::Wall, "within the bound");
        let cloud = Utc::now() + Duration::hours(1);
        clock.observe(cloud);
        let now = clock.now();
        assert_eq!(now.source, Source::Cloud);
        assert!((now.at - cloud).num_seconds().abs() <= 1);
        assert!(clock.warning().unwrap().contains("timedatectl"));
        clock.observe(Utc::now() - Duration::hours(1));
        assert_eq!(
            clock.now().source,
            Source::Cloud,
            "a clock jumped forward too"
        );
    }

    #[test]
    fn after_a_restart_the_last_known_good_time_is_a_floor_only() {
        let later = Utc::now() + Duration::hours(2);
        let clock = TrustedClock::new(Some(later), 120);
        let now = clock.now();
        assert_eq!(now.source, Source::LastKnownGood, "a clock set back");
        assert!(now.at >= later);
        let earlier = TrustedClock::new(Some(Utc::now() - Duration::days(3)), 120);
        assert_eq!(
            earlier.now().source,
            Source::Wall,
            "the box was off for days"
        );
    }
}
