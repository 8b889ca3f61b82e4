//! The cars waiting for each pump. A driver the edge sends to a lane waits in that lane
//! until its pump takes them, and stands in front of that lane's scanner: the lane
//! scans its next car only when nobody is waiting for its pump. So arrivals never
//! outrun the pumps, however the edge spreads the drivers.
//!
//! A lane counts a driver in when it reads the verdict; the pump counts them out when it
//! takes their authorisation — often first, since the router authorises the pump
//! before passing the verdict on; the count is signed, so the order does not matter.

use std::collections::HashMap;

use tokio::sync::watch;

#[derive(Debug)]
pub(super) struct Forecourt {
    /// Per lane: drivers sent to its pump and not taken yet.
    waiting: HashMap<u16, watch::Sender<i64>>,
}

impl Forecourt {
    pub fn new(lanes: u16) -> Self {
        let waiting = (1..=lanes).map(|l| (l, watch::channel(0).0)).collect();
        Self { waiting }
    }

    /// A driver was sent to `lane`'s pump.
    pub fn joins(&self, lane: u16) {
        if let Some(line) = self.waiting.get(&lane) {
            line.send_modify(|n| *n += 1);
        }
    }

    /// `lane`'s pump took its next driver.
    pub fn leaves(&self, lane: u16) {
        if let Some(line) = self.waiting.get(&lane) {
            line.send_modify(|n| *n -= 1);
        }
    }

    /// Returns once nobody waits for `lane`'s pump.
    pub async fn clear(&self, lane: u16) {
        if let Some(line) = self.waiting.get(&lane) {
            let _ = line.subscribe().wait_for(|n| *n <= 0).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_lane_is_clear_once_its_pump_took_every_driver_sent_to_it() {
        let forecourt = Forecourt::new(2);
        forecourt.clear(1).await;
        // Taken before the lane counted them in: still balanced.
        forecourt.leaves(1);
        forecourt.joins(1);
        forecourt.joins(1);
        let blocked = tokio::time::timeout(Duration::from_millis(20), forecourt.clear(1)).await;
        assert!(blocked.is_err(), "a driver waits for pump 1");
        forecourt.clear(2).await;
        forecourt.leaves(1);
        forecourt.clear(1).await;
    }
}
