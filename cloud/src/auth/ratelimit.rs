//! A per-client-IP request limit for the auth routes (fixed one-minute windows). It is
//! per replica by design: its job is to make password guessing slow, and the
//! login throttle (`app/login.rs`: counters per account, address and device cookie, in
//! the database, shared by replicas) does the rest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many tracked addresses, stale windows are swept before adding more.
const SWEEP_AT: usize = 10_000;

/// Counts requests per IP per minute.
#[derive(Debug)]
pub struct IpLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl IpLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` if the request may go ahead, else the seconds until the window resets.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_minute {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_address_and_resets_after_a_minute() {
        let l = IpLimiter::new(2);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        assert!(l.check_at(a, t0).is_ok());
        assert!(l.check_at(a, t0).is_ok());
        assert!(l.check_at(a, t0).is_err());
        assert!(l.check_at(b, t0).is_ok());
        assert!(l.check_at(a, t0 + WINDOW).is_ok());
    }
}
