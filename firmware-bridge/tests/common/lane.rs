//! One wired lane for the end-to-end tests: a scanner, a display and a line-protocol
//! dispenser on pseudo-terminals, and the `gasq-bridge run` config that lists them as
//! lane 1 of station MUM-0042 on a given station bus.

use std::path::{Path, PathBuf};

use gasq_bridge::drivers::dispenser::frame::Frame;

use super::pty::FakeDevice;

#[derive(Debug)]
pub struct Lane {
    pub scanner: FakeDevice,
    pub display: FakeDevice,
    pub dispenser: FakeDevice,
    /// The bridge's config file.
    pub config: PathBuf,
}

impl Lane {
    /// The devices in `dir`, and a config for the bridge whose `[mqtt]` section holds
    /// `mqtt` (see `EdgeUnderTest::mqtt_toml`).
    pub fn wire(dir: &Path, mqtt: &str) -> Self {
        let scanner = FakeDevice::new(dir, "scanner-1");
        let display = FakeDevice::new(dir, "display-1");
        let dispenser = FakeDevice::new(dir, "dispenser-1");
        let config = dir.join("bridge.toml");
        std::fs::write(
            &config,
            format!(
                "station = \"MUM-0042\"\n[mqtt]\n{mqtt}\
                 [[scanner]]\nlane = 1\nport = \"{}\"\nterminator = \"CR\"\n\
                 [[display]]\nlane = 1\nport = \"{}\"\n\
                 [[dispenser]]\nlane = 1\nport = \"{}\"\nprotocol = \"line\"\n",
                scanner.path().display(),
                display.path().display(),
                dispenser.path().display()
            ),
        )
        .unwrap();
        Self {
            scanner,
            display,
            dispenser,
            config,
        }
    }

    /// The arguments that run the bridge on this lane.
    pub fn run_args(&self) -> [&str; 3] {
        ["run", "--config", self.config.to_str().unwrap()]
    }

    /// A code scanned (the scanner ends it with CR).
    pub fn scan(&mut self, code: &str) {
        self.scanner.send(format!("{code}\r").as_bytes());
    }

    /// The dispenser reports `frame`.
    pub fn dispenser_says(&mut self, frame: &Frame) {
        self.dispenser.send(frame.encode().as_bytes());
    }

    /// The next frame the bridge sent to the dispenser that is not a PING.
    pub fn next_command(&mut self) -> Frame {
        loop {
            let frame = Frame::decode(&self.dispenser.line()).unwrap();
            if frame != Frame::Ping {
                return frame;
            }
        }
    }
}
