//! Lane cameras: polls an HTTP snapshot URL (as IP cameras offer), decodes QR codes
//! with gasq-shared's `frames` (rqrr), and publishes each code as a scan.
//!
//! A code stays "in view" while it keeps appearing; it is published when it first
//! appears and again only after it has been out of view for `repeat_after` (one blurred
//! frame in the middle of a sequence must not make the edge see a second scan).
//! Frames where rqrr finds nothing get a second look at an enhanced copy ([`enhance`]).

pub mod enhance;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gasq_shared::StationCode;
use gasq_shared::topics::{LaneChannel, MAX_FRAME_BYTES, Scan, Topic};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::CameraConfig;
use crate::mqtt::Bus;
use crate::stats::DeviceStats;

/// Decides which codes in a frame are new.
#[derive(Debug, Clone)]
pub struct SeenCodes {
    repeat_after: Duration,
    last_seen: HashMap<String, Instant>,
}

impl SeenCodes {
    pub fn new(repeat_after: Duration) -> Self {
        Self {
            repeat_after,
            last_seen: HashMap::new(),
        }
    }

    /// The codes of this frame to publish; remembers all of them as seen `now`.
    pub fn fresh(&mut self, codes: Vec<String>, now: Instant) -> Vec<String> {
        let window = self.repeat_after;
        self.last_seen
            .retain(|_, seen| now.saturating_duration_since(*seen) < window);
        let mut out = Vec::new();
        for code in codes {
            if self.last_seen.insert(code.clone(), now).is_none() && !out.contains(&code) {
                out.push(code);
            }
        }
        out
    }
}

/// Starts a camera's polling task.
pub fn spawn(
    config: CameraConfig,
    station: &StationCode,
    bus: Bus,
    stats: Arc<DeviceStats>,
    stop: CancellationToken,
) -> Result<JoinHandle<()>, reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(config.timeout.get())
        .build()?;
    let camera = Camera {
        topic: Topic::lane(station, config.lane, LaneChannel::Scan).to_string(),
        label: format!("camera lane {}", config.lane),
        seen: SeenCodes::new(config.repeat_after.get()),
        client,
        config,
        bus,
        stats,
        failures: 0,
    };
    Ok(tokio::spawn(camera.run(stop)))
}

struct Camera {
    config: CameraConfig,
    topic: String,
    label: String,
    seen: SeenCodes,
    client: reqwest::Client,
    bus: Bus,
    stats: Arc<DeviceStats>,
    failures: u64,
}

impl Camera {
    async fn run(mut self, stop: CancellationToken) {
        let mut ticker = tokio::time::interval(self.config.interval.get());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticker.tick() => {}
            }
            match self.snapshot().await {
                Ok(frame) => {
                    if self.failures > 0 {
                        tracing::info!(camera = %self.label, "camera answering again");
                    }
                    self.failures = 0;
                    self.look_at(frame).await;
                }
                Err(e) => {
                    DeviceStats::bump(&self.stats.errors);
                    if self.failures == 0 || self.failures.is_multiple_of(60) {
                        tracing::warn!(camera = %self.label, error = %e, "snapshot failed");
                    }
                    self.failures += 1;
                }
            }
        }
    }

    async fn snapshot(&self) -> Result<Vec<u8>, String> {
        let mut request = self.client.get(&self.config.snapshot_url);
        if let Some(user) = &self.config.username {
            let password = self.config.password.as_ref().map(|p| p.expose().to_owned());
            request = request.basic_auth(user, password);
        }
        let mut response = request
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| e.without_url().to_string())?;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| e.without_url().to_string())?
        {
            if body.len() + chunk.len() > MAX_FRAME_BYTES {
                return Err(format!("snapshot larger than {MAX_FRAME_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    async fn look_at(&mut self, frame: Vec<u8>) {
        DeviceStats::bump(&self.stats.lines);
        // Decoding is CPU work: keep it off the async workers.
        let decoded = tokio::task::spawn_blocking(move || {
            gasq_shared::frames::load(&frame).map(|img| enhance::decode(&img))
        })
        .await;
        let codes = match decoded {
            Ok(Ok(codes)) => codes,
            Ok(Err(e)) => {
                DeviceStats::bump(&self.stats.errors);
                tracing::warn!(camera = %self.label, error = %e, "snapshot is not an image");
                return;
            }
            Err(e) => {
                tracing::error!(camera = %self.label, error = %e, "decoder failed");
                return;
            }
        };
        for code in self.seen.fresh(codes, Instant::now()) {
            let scan = Scan {
                id: Some(format!("{}-{}", self.config.lane, uuid::Uuid::now_v7())),
                code,
            };
            if let Ok(payload) = serde_json::to_vec(&scan) {
                tracing::info!(camera = %self.label, scan_id = scan.id.as_deref().unwrap_or(""), "scan from camera");
                self.bus.publish_scan(self.topic.clone(), payload);
                DeviceStats::bump(&self.stats.published);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_code_in_consecutive_frames_is_published_once() {
        let mut seen = SeenCodes::new(Duration::from_secs(10));
        let t = Instant::now();
        assert_eq!(seen.fresh(codes(&["A"]), t), ["A"]);
        assert!(
            seen.fresh(codes(&["A"]), t + Duration::from_secs(1))
                .is_empty()
        );
        assert!(
            seen.fresh(codes(&[]), t + Duration::from_secs(2))
                .is_empty()
        );
        assert!(
            seen.fresh(codes(&["A"]), t + Duration::from_secs(3))
                .is_empty()
        );
        assert_eq!(
            seen.fresh(codes(&["B", "A"]), t + Duration::from_secs(4)),
            ["B"]
        );
    }

    #[test]
    fn a_code_out_of_view_long_enough_is_published_again() {
        let mut seen = SeenCodes::new(Duration::from_secs(10));
        let t = Instant::now();
        seen.fresh(codes(&["A"]), t);
        assert_eq!(
            seen.fresh(codes(&["A"]), t + Duration::from_secs(11)),
            ["A"]
        );
    }

    #[test]
    fn the_same_code_twice_in_one_frame_is_one_scan() {
        let mut seen = SeenCodes::new(Duration::from_secs(10));
        assert_eq!(seen.fresh(codes(&["A", "A"]), Instant::now()), ["A"]);
    }
}
