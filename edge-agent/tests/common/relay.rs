//! A TCP relay on 127.0.0.1 port 0 (held for as long as the test runs), carrying each
//! connection byte for byte to an upstream that can be changed: how a test keeps one
//! address for a program it restarts on a new port, or reaches a Unix socket over TCP.
//! Each direction closes when its source ends, so to either side a peer that dies is a
//! connection lost; with the upstream gone, a client's connection closes at once.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where the relay carries connections.
#[derive(Debug, Clone)]
pub enum Upstream {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

#[derive(Debug)]
pub struct Relay {
    /// Where clients connect.
    pub addr: SocketAddr,
    upstream: Arc<Mutex<Upstream>>,
}

impl Relay {
    pub fn start(upstream: Upstream) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let upstream = Arc::new(Mutex::new(upstream));
        let target = Arc::clone(&upstream);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let to = target.lock().unwrap().clone();
                let _ = match to {
                    Upstream::Tcp(addr) => TcpStream::connect(addr).map(|s| carry(client, s)),
                    Upstream::Unix(path) => UnixStream::connect(path).map(|s| carry(client, s)),
                };
            }
        });
        Self { addr, upstream }
    }

    /// New connections go to `upstream` from now on.
    pub fn redirect(&self, upstream: Upstream) {
        *self.upstream.lock().unwrap() = upstream;
    }
}

/// A stream the relay can read, write and half-close through shared references.
trait Stream: Send + Sync + 'static {
    fn close_write(&self);
}

impl Stream for TcpStream {
    fn close_write(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

impl Stream for UnixStream {
    fn close_write(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

/// Copies both ways between `a` and `b`, each on its own thread.
fn carry<A: Stream, B: Stream>(a: A, b: B)
where
    for<'s> &'s A: Read + Write,
    for<'s> &'s B: Read + Write,
{
    let (a, b) = (Arc::new(a), Arc::new(b));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut &*a2, &mut &*b2);
        b2.close_write();
    });
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut &*b, &mut &*a);
        a.close_write();
    });
}
