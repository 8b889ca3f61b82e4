//! Test helpers: brokers on ports the system picks, fake serial devices on pseudo-terminals, a bus
//! watcher, test tokens, a stand-in for the edge agent, and the real edge and cloud.
//!
//! Each integration test file is its own crate and uses a subset of these.
#![allow(dead_code)]

pub mod broker;
pub mod bus;
pub mod edge;
pub mod frames;
pub mod lane;
pub mod process;
pub mod programs;
pub mod proxy;
pub mod pty;
pub mod tokens;

use std::time::{Duration, Instant};

/// How long any wait in these tests may take before it counts as a failure.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `check` until it returns `Some`, or panics with `what` after [`PATIENCE`].
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Logs from the code under test, shown for failing tests (`RUST_LOG` sets the level).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_test_writer()
        .try_init();
}
