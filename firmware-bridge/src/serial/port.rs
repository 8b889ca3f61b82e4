//! Opening serial ports, and keeping one open: a device thread calls [`keep_open`], which
//! reopens the port with backoff whenever it disappears (USB unplugged, adapter reset)
//! and returns only when the bridge stops.

use std::io;
use std::time::Duration;

use serialport::SerialPort;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::config::{FlowControl, Parity, SerialSettings};
use crate::stats::DeviceStats;

/// An open port.
pub type Port = Box<dyn SerialPort>;

/// Opens and configures a port. `read_timeout` bounds each blocking read, so the
/// device thread notices a stop request or a command to send within that time.
pub fn open(settings: &SerialSettings, read_timeout: Duration) -> serialport::Result<Port> {
    use serialport::{DataBits, StopBits};
    let data_bits = match settings.data_bits {
        5 => DataBits::Five,
        6 => DataBits::Six,
        7 => DataBits::Seven,
        _ => DataBits::Eight,
    };
    let parity = match settings.parity {
        Parity::None => serialport::Parity::None,
        Parity::Even => serialport::Parity::Even,
        Parity::Odd => serialport::Parity::Odd,
    };
    let stop_bits = if settings.stop_bits == 2 {
        StopBits::Two
    } else {
        StopBits::One
    };
    let flow = match settings.flow_control {
        FlowControl::None => serialport::FlowControl::None,
        FlowControl::Software => serialport::FlowControl::Software,
        FlowControl::Hardware => serialport::FlowControl::Hardware,
    };
    serialport::new(settings.port.to_string_lossy(), settings.baud)
        .data_bits(data_bits)
        .parity(parity)
        .stop_bits(stop_bits)
        .flow_control(flow)
        .timeout(read_timeout)
        .open()
}

/// Sleeps up to `d`, waking early when `stop` is cancelled; returns whether to go on.
pub fn pause(stop: &CancellationToken, d: Duration) -> bool {
    let slice = Duration::from_millis(25);
    let mut left = d;
    while !left.is_zero() {
        if stop.is_cancelled() {
            return false;
        }
        let step = left.min(slice);
        std::thread::sleep(step);
        left -= step;
    }
    !stop.is_cancelled()
}

/// Whether a read error just means "nothing arrived in time".
pub fn is_quiet(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
    )
}

/// What a device thread does with its port.
pub trait Device {
    /// Uses the open port until `stop` (return `Ok`) or until the port fails (return the
    /// error; the port is then reopened).
    fn session(&mut self, port: &mut Port, stop: &CancellationToken) -> io::Result<()>;

    /// The port was lost, or could not be opened the first time (e.g. publish a fault).
    fn lost(&mut self, _why: &str) {}
}

/// Runs `device` on the open port until `stop`, reopening with backoff after failures.
pub fn keep_open(
    label: &str,
    settings: &SerialSettings,
    read_timeout: Duration,
    stop: &CancellationToken,
    stats: &DeviceStats,
    device: &mut impl Device,
) {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    let mut failures: u64 = 0;
    while !stop.is_cancelled() {
        match open(settings, read_timeout) {
            Ok(mut port) => {
                let n = DeviceStats::bump(&stats.opened);
                tracing::info!(device = label, port = %settings.port.display(), reopen = n > 1, "serial port open");
                backoff.reset();
                failures = 0;
                match device.session(&mut port, stop) {
                    Ok(()) => return,
                    Err(e) => {
                        DeviceStats::bump(&stats.lost);
                        tracing::warn!(device = label, error = %e, "serial port lost; reopening");
                        device.lost(&format!("serial link lost: {e}"));
                    }
                }
            }
            Err(e) => {
                if failures == 0 {
                    tracing::warn!(device = label, port = %settings.port.display(), error = %e, "cannot open serial port; retrying");
                    if stats.opened.load(std::sync::atomic::Ordering::Relaxed) == 0 {
                        device.lost(&format!("cannot open serial port: {e}"));
                    }
                } else {
                    tracing::debug!(device = label, error = %e, "serial port still unavailable");
                }
                failures += 1;
            }
        }
        if !pause(stop, backoff.next_wait()) {
            return;
        }
    }
}
