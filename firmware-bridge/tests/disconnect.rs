#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! A normal exit says goodbye: on SIGTERM (`run`, `simulate`) and at the end of a
//! simulation the bridge sends MQTT DISCONNECT before closing the connection, so the
//! broker sees a clean leave rather than a dropped client.
//!
//! The broker here is a recording fake on a port the system picks: it answers CONNECT,
//! SUBSCRIBE, QoS 1 PUBLISH and PINGREQ, and remembers the type of every packet it got
//! until the bridge closed the connection.

mod common;

use std::sync::{Arc, Mutex};

use common::eventually;
use common::process::BridgeProcess;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SUBSCRIBE: u8 = 8;
const DISCONNECT: u8 = 14;

/// What the fake broker saw on its (single) connection.
#[derive(Debug, Default)]
struct Seen {
    /// MQTT packet types in the order they came.
    packets: Vec<u8>,
    /// The client closed the connection.
    closed: bool,
}

/// The fake broker; returns its URL and what it sees.
async fn recording_broker() -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("mqtt://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        serve(socket, &record).await;
        record.lock().unwrap().closed = true;
    });
    (url, seen)
}

/// Answers packets until the client closes the connection.
async fn serve(mut socket: TcpStream, seen: &Mutex<Seen>) {
    while let Some((first, body)) = read_packet(&mut socket).await {
        let kind = first >> 4;
        seen.lock().unwrap().packets.push(kind);
        let reply: Vec<u8> = match kind {
            1 => vec![0x20, 2, 0, 0], // CONNACK, accepted
            3 if (first >> 1) & 3 > 0 => {
                // PUBACK with the packet id after the topic.
                let topic_len = usize::from(u16::from_be_bytes([body[0], body[1]]));
                let id = &body[2 + topic_len..4 + topic_len];
                vec![0x40, 2, id[0], id[1]]
            }
            SUBSCRIBE => {
                // SUBACK granting QoS 1 to each filter.
                let (mut at, mut granted) = (2, Vec::new());
                while at < body.len() {
                    at += 2 + usize::from(u16::from_be_bytes([body[at], body[at + 1]])) + 1;
                    granted.push(1);
                }
                let mut reply = vec![0x90, 2 + granted.len() as u8, body[0], body[1]];
                reply.extend(granted);
                reply
            }
            12 => vec![0xD0, 0], // PINGRESP
            _ => Vec::new(),
        };
        if socket.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// One packet: its first byte and its body; `None` at the end of the stream.
async fn read_packet(socket: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let first = socket.read_u8().await.ok()?;
    let (mut length, mut shift) = (0usize, 0);
    loop {
        let byte = socket.read_u8().await.ok()?;
        length |= usize::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let mut body = vec![0; length];
    socket.read_exact(&mut body).await.ok()?;
    Some((first, body))
}

/// Waits until the client closed the connection; the packets it sent.
async fn packets_until_closed(seen: &Mutex<Seen>) -> Vec<u8> {
    eventually("the bridge to close its connection", || {
        let seen = seen.lock().unwrap();
        seen.closed.then(|| seen.packets.clone())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_stopped_by_sigterm_disconnects_cleanly() {
    let (url, seen) = recording_broker().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bridge = BridgeProcess::spawn(
        dir.path(),
        &["run", "--station", "MUM-0042", "--mqtt-url", &url],
    );
    eventually("the bridge to subscribe", || {
        seen.lock()
            .unwrap()
            .packets
            .contains(&SUBSCRIBE)
            .then_some(())
    })
    .await;

    assert!(bridge.stop().success(), "{}", bridge.logs());
    let packets = packets_until_closed(&seen).await;
    assert_eq!(packets.last(), Some(&DISCONNECT), "{packets:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulation_that_ends_disconnects_cleanly() {
    let (url, seen) = recording_broker().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.txt");
    std::fs::write(&tokens, "GQ1:NOBODY-ANSWERS\n").unwrap();
    let creds = common::tokens::stand_in_credentials(dir.path());
    let mut sim = BridgeProcess::spawn(
        dir.path(),
        &[
            "simulate",
            "--station",
            "MUM-0042",
            "--mqtt-url",
            &url,
            "--credentials",
            creds.to_str().unwrap(),
            "--lanes",
            "1",
            "--tokens",
            tokens.to_str().unwrap(),
            "--verdict-timeout",
            "200ms",
            "--speed",
            "1000",
        ],
    );

    // No edge answers, so the one scan gets no verdict and the run ends by itself.
    let status = sim.wait();
    assert_eq!(status.code(), Some(1), "{}", sim.logs());
    let packets = packets_until_closed(&seen).await;
    assert_eq!(packets.last(), Some(&DISCONNECT), "{packets:?}");
    assert!(packets.contains(&3), "the scan was published: {packets:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_simulation_stopped_by_sigterm_disconnects_cleanly() {
    let (url, seen) = recording_broker().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.txt");
    std::fs::write(&tokens, "").unwrap();
    let creds = common::tokens::stand_in_credentials(dir.path());
    let mut sim = BridgeProcess::spawn(
        dir.path(),
        &[
            "simulate",
            "--station",
            "MUM-0042",
            "--mqtt-url",
            &url,
            "--credentials",
            creds.to_str().unwrap(),
            "--tokens",
            tokens.to_str().unwrap(),
            "--follow",
        ],
    );
    eventually("the simulation to subscribe", || {
        seen.lock()
            .unwrap()
            .packets
            .contains(&SUBSCRIBE)
            .then_some(())
    })
    .await;

    // Waiting for tokens that never come: only a signal ends it, and it says goodbye.
    assert!(sim.stop().success(), "{}", sim.logs());
    let packets = packets_until_closed(&seen).await;
    assert_eq!(packets.last(), Some(&DISCONNECT), "{packets:?}");
}
