//! Finds the embedded broker's listening socket and turns Nagle's algorithm off on it.
//!
//! IMPORTANT: rumqttd 0.20 binds its listener itself and never sets `TCP_NODELAY` on
//! the connections it accepts. A scanner that publishes a scan at QoS 1 then gets the
//! broker's PUBACK and, right behind it, our verdict: Nagle holds the verdict until the
//! PUBACK is acknowledged, and the scanner's kernel delays that ACK by ~40 ms. Measured:
//! 44 ms scan→verdict instead of well under 1 ms.
//!
//! On Linux an accepted socket inherits `TCP_NODELAY` from its listening socket. rumqttd
//! does not hand us its listener, so we find it: among this process's descriptors
//! (`/proc/self/fd`), the listening TCP socket bound to our address that did not exist
//! before the broker started. `pidfd_getfd` (Linux ≥ 5.6) gives us a duplicate of that
//! descriptor, and a socket option set through the duplicate applies to the one socket
//! both refer to. Where this is not possible (seccomp, old kernel) the broker still
//! works, only slower, and the agent says so at startup.

use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;

use rustix::fd::OwnedFd;
use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

/// The socket inodes (`socket:[N]`) among this process's descriptors, with their
/// descriptor numbers.
fn sockets() -> io::Result<Vec<(i32, String)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let entry = entry?;
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        // Descriptors come and go while we look; a vanished one is simply skipped.
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.to_string_lossy().into_owned();
        if target.starts_with("socket:") {
            found.push((fd, target));
        }
    }
    Ok(found)
}

/// The socket inodes that exist now (taken before the broker starts).
pub fn existing_sockets() -> HashSet<String> {
    sockets()
        .map(|s| s.into_iter().map(|(_, inode)| inode).collect())
        .unwrap_or_default()
}

/// A listening socket found by [`find_listener`].
#[derive(Debug)]
pub struct Listener {
    pub fd: OwnedFd,
    pub addr: SocketAddr,
}

/// Looks for a listening TCP socket on `want` (any port if `want`'s port is 0) that is
/// not among `before`. `Err` when the platform does not let us look at all.
pub fn find_listener(want: SocketAddr, before: &HashSet<String>) -> io::Result<Option<Listener>> {
    let pidfd = pidfd_open(getpid(), PidfdFlags::empty())?;
    for (fd, inode) in sockets()? {
        if before.contains(&inode) {
            continue;
        }
        let dup = match pidfd_getfd(&pidfd, fd, PidfdGetfdFlags::empty()) {
            Ok(dup) => dup,
            Err(rustix::io::Errno::BADF) => continue,
            Err(e) => return Err(e.into()),
        };
        if !rustix::net::sockopt::socket_acceptconn(&dup).unwrap_or(false) {
            continue;
        }
        let Some(addr) = rustix::net::getsockname(&dup)
            .ok()
            .and_then(|a| SocketAddr::try_from(a).ok())
        else {
            continue;
        };
        let port_ok = want.port() == 0 || want.port() == addr.port();
        if addr.ip() == want.ip() && port_ok {
            return Ok(Some(Listener { fd: dup, addr }));
        }
    }
    Ok(None)
}

/// Turns Nagle off on the listener, so every connection it accepts inherits that.
pub fn set_nodelay(listener: &Listener) -> io::Result<()> {
    rustix::net::sockopt::set_tcp_nodelay(&listener.fd, true)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_connections_inherit_nodelay_from_a_listener_found_this_way() {
        let before = existing_sockets();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let want = listener.local_addr().unwrap();
        let found = match find_listener(want, &before) {
            Ok(found) => found.expect("the new listener is found"),
            Err(e) => {
                eprintln!("skipped: pidfd_getfd is not available here: {e}");
                return;
            }
        };
        assert_eq!(found.addr, want);
        set_nodelay(&found).unwrap();
        let _client = std::net::TcpStream::connect(found.addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
