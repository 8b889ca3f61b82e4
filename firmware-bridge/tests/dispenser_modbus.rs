#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! A Modbus RTU dispenser: tokio-modbus in the bridge against a simulated slave on a
//! pseudo-terminal. The slave is written here from the Modbus spec (functions 3, 4, 6
//! and 16 with CRC-16), independently of tokio-modbus, so the two check each other.

mod common;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::broker::EmbeddedBroker;
use common::bus::Watcher;
use common::{eventually, init_logs};
use gasq_bridge::config::parse_str;
use gasq_bridge::launch;
use gasq_shared::BookingId;
use serialport::{SerialPort, TTYPort};
use tokio_util::sync::CancellationToken;

const EVENTS: &str = "gasq/MUM-0042/lane/2/dispenser";

/// Holding registers of the simulated dispenser, and whether it answers at all.
#[derive(Clone, Default)]
struct Slave {
    regs: Arc<Mutex<Vec<u16>>>,
    silent: Arc<AtomicBool>,
    /// The read functions (3, 4) the bridge has used.
    reads: Arc<Mutex<std::collections::BTreeSet<u8>>>,
    /// Set to unplug: the slave's thread ends and closes its pty.
    unplugged: Arc<AtomicBool>,
}

impl Slave {
    fn set(&self, addr: usize, values: &[u16]) {
        self.regs.lock().unwrap()[addr..addr + values.len()].copy_from_slice(values);
    }
    fn get(&self, addr: usize) -> u16 {
        self.regs.lock().unwrap()[addr]
    }
}

fn crc16(bytes: &[u8]) -> u16 {
    let mut crc = 0xFFFFu16;
    for &b in bytes {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

fn with_crc(mut frame: Vec<u8>) -> Vec<u8> {
    let crc = crc16(&frame);
    frame.extend_from_slice(&crc.to_le_bytes());
    frame
}

/// Answers one complete request at the start of `buf`; returns the bytes consumed.
fn answer(slave: &Slave, unit: u8, buf: &[u8], port: &mut TTYPort) -> Option<usize> {
    if buf.len() < 8 {
        return None;
    }
    let len = match buf[1] {
        3 | 4 | 6 => 8,
        16 => 9 + usize::from(*buf.get(6)?),
        _ => return Some(buf.len()), // unknown: drop it all
    };
    let frame = buf.get(..len)?;
    if crc16(&frame[..len - 2]).to_le_bytes() != frame[len - 2..] || frame[0] != unit {
        return Some(len);
    }
    let addr = usize::from(u16::from_be_bytes([frame[2], frame[3]]));
    let n = usize::from(u16::from_be_bytes([frame[4], frame[5]]));
    let reply = match frame[1] {
        3 | 4 => {
            slave.reads.lock().unwrap().insert(frame[1]);
            let mut r = vec![unit, frame[1], (n * 2) as u8];
            for i in 0..n {
                r.extend_from_slice(&slave.get(addr + i).to_be_bytes());
            }
            r
        }
        6 => {
            slave.set(addr, &[n as u16]);
            frame[..6].to_vec()
        }
        _ => {
            let words: Vec<u16> = frame[7..len - 2]
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            slave.set(addr, &words);
            frame[..6].to_vec()
        }
    };
    if !slave.silent.load(Ordering::Relaxed) {
        port.write_all(&with_crc(reply)).unwrap();
    }
    Some(len)
}

/// Runs the slave on the master end of a pty; returns the path the bridge opens.
fn spawn_slave(slave: Slave, unit: u8, dir: &std::path::Path) -> std::path::PathBuf {
    let (mut master, pts) = TTYPort::pair().unwrap();
    master.set_timeout(Duration::from_millis(20)).unwrap();
    let link = dir.join("dispenser-2");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(pts.name().unwrap(), &link).unwrap();
    std::thread::spawn(move || {
        let _keep_open = pts;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 256];
        while !slave.unplugged.load(Ordering::Relaxed) {
            match master.read(&mut chunk) {
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return,
            }
            while let Some(used) = answer(&slave, unit, &buf, &mut master) {
                buf.drain(..used);
            }
        }
    });
    link
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modbus_dispenser_is_authorised_and_its_fill_reported() {
    init_logs();
    let broker = EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let slave = Slave {
        regs: Arc::new(Mutex::new(vec![0; 64])),
        ..Slave::default()
    };
    let port = spawn_slave(slave.clone(), 5, dir.path());
    let mut bus = Watcher::connect(broker.addr, "edge", &["gasq/MUM-0042/lane/+/dispenser"]).await;
    let config = parse_str(&format!(
        "station = \"MUM-0042\"\n[mqtt]\nverdict_key = \"_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg\"\nurl = \"{}\"\n[[dispenser]]\nlane = 2\nport = \"{}\"\nprotocol = \"modbus\"\nbaud = 19200\nparity = \"even\"\nunit = 5\npoll_interval = \"20ms\"\ntimeout = \"200ms\"\nprogress_interval = \"20ms\"\n[dispenser.registers]\nstatus = 10\ndelivered = 12\namount = 14\nfault_code = 11\nauth_quantity = 20\nauth_command = 22\n",
        broker.url(),
        port.display()
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let bridge = launch(&config, stop.clone()).unwrap();
    eventually("verdicts subscribed", || {
        bridge.bus().stats().subscribed.then_some(())
    })
    .await;
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    let booking = BookingId::new();
    let verdict = format!(
        r#"{{"scan_id":null,"accepted":true,"reason":"ok","booking_id":"{booking}","vehicle":null,"quantity_kg":12.34,"lane":2,"at":"2025-01-01T10:00:00Z"}}"#
    );
    bus.publish("gasq/MUM-0042/lane/2/verdict", verdict).await;
    eventually("authorised", || (slave.get(22) == 1).then_some(())).await;
    assert_eq!((slave.get(20), slave.get(21)), (0, 1234));

    // The dispenser fuels: status 2 with a growing quantity, then done (3).
    slave.set(10, &[2]);
    let start = bus.next_on(EVENTS).await.json();
    assert_eq!(
        (start["event"].as_str(), start["booking_id"].as_str()),
        (Some("start"), Some(booking.to_string().as_str()))
    );
    slave.set(12, &[0, 600]);
    let progress = bus.next_on(EVENTS).await.json();
    assert_eq!(
        (progress["event"].as_str(), progress["kg"].as_f64()),
        (Some("progress"), Some(6.0))
    );
    slave.set(14, &[1, 0x1234]); // 65536 + 4660 = 70196 paise
    slave.set(12, &[0, 1234]);
    slave.set(10, &[3]);
    let end = bus.next_where(|r| r.json()["event"] == "end").await.json();
    assert_eq!(
        (end["kg"].as_f64(), end["amount_paise"].as_i64()),
        (Some(12.34), Some(70_196))
    );
    assert_eq!(end["booking_id"], booking.to_string());

    // A fault code is reported once; clearing it says ok.
    slave.set(11, &[17]);
    slave.set(10, &[4]);
    let fault = bus.next_on(EVENTS).await.json();
    assert_eq!(
        (fault["event"].as_str(), fault["detail"].as_str()),
        (Some("fault"), Some("fault code 17"))
    );
    slave.set(10, &[0]);
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    // A slave that stops answering is reported as not responding.
    slave.silent.store(true, Ordering::Relaxed);
    let silent = bus.next_on(EVENTS).await.json();
    assert_eq!(silent["event"], "fault");
    assert!(
        silent["detail"]
            .as_str()
            .unwrap()
            .starts_with("dispenser not responding"),
        "{silent}"
    );
    slave.silent.store(false, Ordering::Relaxed);
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    stop.cancel();
    bridge.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplugged_modbus_dispenser_is_a_fault_until_it_is_back_and_input_registers_work() {
    init_logs();
    let broker = EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let slave = Slave {
        regs: Arc::new(Mutex::new(vec![0; 64])),
        ..Slave::default()
    };
    let port = spawn_slave(slave.clone(), 1, dir.path());
    let mut bus = Watcher::connect(broker.addr, "edge", &["gasq/MUM-0042/lane/+/dispenser"]).await;
    let config = parse_str(&format!(
        "station = \"MUM-0042\"\n[mqtt]\nverdict_key = \"_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg\"\nurl = \"{}\"\n[[dispenser]]\nlane = 2\nport = \"{}\"\nprotocol = \"modbus\"\npoll_interval = \"20ms\"\ntimeout = \"100ms\"\n[dispenser.registers]\nread = \"input\"\n",
        broker.url(),
        port.display()
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let bridge = launch(&config, stop.clone()).unwrap();
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");
    // `read = "input"` reads with function 4 only.
    assert_eq!(
        slave
            .reads
            .lock()
            .unwrap()
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        [4]
    );

    // The USB adapter is pulled: the device node vanishes (first, so the bridge never
    // reopens a pty number the kernel hands to another test), then the device.
    std::fs::remove_file(&port).unwrap();
    slave.unplugged.store(true, Ordering::Relaxed);
    let fault = bus.next_on(EVENTS).await.json();
    assert_eq!(fault["event"], "fault", "{fault}");
    assert!(
        fault["detail"]
            .as_str()
            .unwrap()
            .starts_with("dispenser not responding"),
        "{fault}"
    );

    // Plugged back in (a new device node behind the same path): ok again.
    let back = Slave {
        regs: Arc::new(Mutex::new(vec![0; 64])),
        ..Slave::default()
    };
    spawn_slave(back.clone(), 1, dir.path());
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");
    eventually("the new device polled", || {
        back.reads.lock().unwrap().contains(&4).then_some(())
    })
    .await;
    stop.cancel();
    bridge.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_verdicts_never_write_the_authorise_register() {
    use gasq_shared::bussig;
    init_logs();
    let broker = EmbeddedBroker::start();
    let dir = tempfile::tempdir().unwrap();
    let slave = Slave {
        regs: Arc::new(Mutex::new(vec![0; 64])),
        ..Slave::default()
    };
    let port = spawn_slave(slave.clone(), 1, dir.path());
    let mut bus = Watcher::connect(broker.addr, "edge", &[EVENTS]).await;
    let config = parse_str(&format!(
        "station = \"MUM-0042\"\n[mqtt]\nverdict_key = \"{}\"\nurl = \"{}\"\n[[dispenser]]\nlane = 2\nport = \"{}\"\nprotocol = \"modbus\"\npoll_interval = \"20ms\"\ntimeout = \"100ms\"\n",
        common::tokens::VERDICT_KEY,
        broker.url(),
        port.display()
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let bridge = launch(&config, stop.clone()).unwrap();
    eventually("verdicts subscribed", || {
        bridge.bus().stats().subscribed.then_some(())
    })
    .await;
    assert_eq!(bus.next_on(EVENTS).await.json()["event"], "ok");

    let topic = "gasq/MUM-0042/lane/2/verdict";
    let verdict = |at: chrono::DateTime<chrono::Utc>| {
        format!(
            r#"{{"scan_id":null,"accepted":true,"reason":"ok","booking_id":"{}","vehicle":null,"quantity_kg":7.77,"lane":2,"at":"{}"}}"#,
            BookingId::new(),
            at.to_rfc3339()
        )
    };
    let sign = |key: &ed25519_dalek::SigningKey, json: String| {
        bussig::sign(key, bussig::VERDICT, topic, json.as_bytes()).unwrap()
    };
    let edge = common::tokens::edge_bus_key();
    let phone = ed25519_dalek::SigningKey::from_bytes(&[66u8; 32]);
    let now = chrono::Utc::now();
    bus.publish_raw(topic, sign(&phone, verdict(now))).await;
    bus.publish_raw(
        topic,
        sign(&edge, verdict(now - chrono::Duration::minutes(5))),
    )
    .await;
    bus.publish_raw(topic, verdict(now)).await;
    let stats = bridge.router_stats();
    eventually("three refusals", || {
        (stats.bad_verdicts.load(Ordering::Relaxed) == 3).then_some(())
    })
    .await;
    assert_eq!(stats.authorisations.load(Ordering::Relaxed), 0);
    assert_eq!(slave.get(18), 0, "nothing authorised");

    bus.publish(topic, verdict(now)).await;
    eventually("authorised", || (slave.get(18) == 1).then_some(())).await;
    assert_eq!((slave.get(16), slave.get(17)), (0, 777));
    assert_eq!(stats.authorisations.load(Ordering::Relaxed), 1);
    stop.cancel();
    bridge.wait().await;
}
