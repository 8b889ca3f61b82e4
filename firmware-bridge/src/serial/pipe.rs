//! A serial port as an async byte stream, for tokio-modbus: a dedicated thread owns the
//! port and moves bytes over channels, so no serial call ever blocks the runtime.
//!
//! The stream ends (EOF on read, `BrokenPipe` on write) when the port fails; the caller
//! then drops it, which stops the thread, and opens a new one.

use std::io;
use std::pin::Pin;
use std::sync::mpsc as std_mpsc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::port::{self, Port, is_quiet};
use crate::config::SerialSettings;

/// How long the thread blocks in one read: also the delay before it sees a write.
const POLL: Duration = Duration::from_millis(5);

/// The async end of a serial port. Dropping it closes the port.
#[derive(Debug)]
pub struct SerialPipe {
    rx: mpsc::Receiver<Vec<u8>>,
    tx: std_mpsc::Sender<Vec<u8>>,
    leftover: Vec<u8>,
    stop: CancellationToken,
}

impl SerialPipe {
    /// Opens the port (blocking: call it from `spawn_blocking`) and starts its thread.
    pub fn open(settings: &SerialSettings, label: &str) -> io::Result<Self> {
        let port = port::open(settings, POLL).map_err(io::Error::from)?;
        let (in_tx, rx) = mpsc::channel(64);
        let (tx, out_rx) = std_mpsc::channel();
        let stop = CancellationToken::new();
        let thread_stop = stop.clone();
        std::thread::Builder::new()
            .name(format!("serial {label}"))
            .spawn(move || pump(port, in_tx, out_rx, thread_stop))?;
        Ok(Self {
            rx,
            tx,
            leftover: Vec::new(),
            stop,
        })
    }
}

impl Drop for SerialPipe {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn pump(
    mut port: Port,
    to_async: mpsc::Sender<Vec<u8>>,
    from_async: std_mpsc::Receiver<Vec<u8>>,
    stop: CancellationToken,
) {
    let mut buf = [0u8; 256];
    while !stop.is_cancelled() {
        while let Ok(bytes) = from_async.try_recv() {
            if let Err(e) = port.write_all(&bytes).and_then(|()| port.flush()) {
                tracing::debug!(error = %e, "serial write failed");
                return;
            }
        }
        match port.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if to_async.blocking_send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
            Err(e) if is_quiet(&e) => {}
            Err(e) => {
                tracing::debug!(error = %e, "serial read failed");
                return;
            }
        }
    }
}

impl AsyncRead for SerialPipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.leftover.is_empty() {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(bytes)) => self.leftover = bytes,
                // The thread is gone: end of stream.
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = self.leftover.len().min(buf.remaining());
        buf.put_slice(&self.leftover[..n]);
        self.leftover.drain(..n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for SerialPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.tx.send(buf.to_vec()) {
            Ok(()) => Poll::Ready(Ok(buf.len())),
            Err(_) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "serial port closed",
            ))),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stop.cancel();
        Poll::Ready(Ok(()))
    }
}
