//! Fake serial devices on pseudo-terminals. The bridge opens a symlink (as it would a
//! udev name such as /dev/gasq-scanner-1); the test holds the master end. Unplugging
//! closes both ends; replugging makes a new pair and swaps the symlink to it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use super::PATIENCE;

#[derive(Debug)]
pub struct FakeDevice {
    link: PathBuf,
    master: Option<TTYPort>,
    /// Held open so the master never sees a hang-up while the bridge reopens.
    slave: Option<TTYPort>,
    buf: Vec<u8>,
}

impl FakeDevice {
    /// A device whose port is `dir/name`.
    pub fn new(dir: &Path, name: &str) -> Self {
        let mut device = Self {
            link: dir.join(name),
            master: None,
            slave: None,
            buf: Vec::new(),
        };
        device.replug();
        device
    }

    /// The path to put in the bridge's config.
    pub fn path(&self) -> &Path {
        &self.link
    }

    /// Pulls the cable: both ends close, the bridge's reads and writes fail.
    pub fn unplug(&mut self) {
        // The device node goes first, as when a USB adapter is pulled: a link left
        // behind would point at a pty number the kernel soon gives to another test.
        let _ = std::fs::remove_file(&self.link);
        self.master = None;
        self.slave = None;
        self.buf.clear();
    }

    /// Plugs a (new) device in at the same path.
    pub fn replug(&mut self) {
        let (mut master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
        master.set_timeout(Duration::from_millis(20)).unwrap();
        let target = slave.name().expect("the slave's path");
        let tmp = self.link.with_extension("new");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(target, &tmp).unwrap();
        std::fs::rename(&tmp, &self.link).unwrap();
        self.master = Some(master);
        self.slave = Some(slave);
        self.buf.clear();
    }

    /// What the device sends to the bridge.
    pub fn send(&mut self, bytes: &[u8]) {
        let master = self.master.as_mut().expect("device plugged in");
        master.write_all(bytes).unwrap();
        master.flush().unwrap();
    }

    /// The next line the bridge wrote (without `\r\n`), within the test's patience.
    pub fn line(&mut self) -> String {
        self.try_line(PATIENCE)
            .expect("a line from the bridge in time")
    }

    /// The next line, or `None` after `wait`. Blocking reads run in `block_in_place`,
    /// so tests use the multi-threaded runtime.
    pub fn try_line(&mut self, wait: Duration) -> Option<String> {
        tokio::task::block_in_place(|| self.read_line_blocking(wait))
    }

    fn read_line_blocking(&mut self, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(String::from_utf8_lossy(&line).into_owned());
            }
            if Instant::now() >= deadline {
                return None;
            }
            let mut chunk = [0u8; 256];
            let master = self.master.as_mut().expect("device plugged in");
            match master.read(&mut chunk) {
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("pty read failed: {e}"),
            }
        }
    }

    /// Lines until one satisfies `pred` (the others are returned first, for inspection).
    pub fn line_where(&mut self, mut pred: impl FnMut(&str) -> bool) -> (String, Vec<String>) {
        let mut skipped = Vec::new();
        loop {
            let line = self.line();
            if pred(&line) {
                return (line, skipped);
            }
            skipped.push(line);
        }
    }
}
