//! Jittered exponential backoff for retrying the cloud: 1 s, 2 s, 4 s … up to a cap
//! (default 60 s), each wait drawn from its upper half so that many edges knocked
//! offline by the same outage do not all come back in the same second.

use std::time::Duration;

use rand::Rng as _;

/// The wait before retry number `failures` (1 = first retry).
pub fn delay(failures: u32, cap: Duration) -> Duration {
    let exp = failures.saturating_sub(1).min(16);
    let full = Duration::from_secs(1u64 << exp).min(cap);
    let half = full / 2;
    let jitter = rand::thread_rng().gen_range(0..=half.as_millis() as u64);
    half + Duration::from_millis(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_stop_at_the_cap() {
        let cap = Duration::from_secs(60);
        for _ in 0..100 {
            let first = delay(1, cap);
            assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
            let fourth = delay(4, cap);
            assert!(fourth >= Duration::from_secs(4) && fourth <= Duration::from_secs(8));
            assert!(delay(40, cap) <= cap);
            assert!(delay(40, cap) >= cap / 2);
        }
    }
}
