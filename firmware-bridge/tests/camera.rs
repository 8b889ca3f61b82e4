#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! A lane camera: the bridge polls an HTTP snapshot URL, reads QR codes in the frames,
//! publishes each as a scan, and does not publish a code again while it stays in view
//! (even across a frame where it was missed).

mod common;

use std::sync::{Arc, Mutex};

use common::broker::EmbeddedBroker;
use common::bus::Watcher;
use common::frames::{Degradation, frame, png};
use common::{eventually, init_logs};
use gasq_bridge::config::parse_str;
use gasq_bridge::launch;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Serves `frames` in order, one per GET, then the last one forever. Returns the URL
/// and a count of requests.
async fn snapshot_server(frames: Vec<Vec<u8>>) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/snapshot.png", listener.local_addr().unwrap());
    let served = Arc::new(Mutex::new(0usize));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = {
                let mut n = count.lock().unwrap();
                let body = frames[(*n).min(frames.len() - 1)].clone();
                *n += 1;
                body
            };
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    (url, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_in_view_are_published_once() {
    init_logs();
    let a = common::tokens::fixed_token(1);
    let b = common::tokens::fixed_token(2);
    let blank = png(&image::GrayImage::from_pixel(640, 480, image::Luma([128])));
    let frames = vec![
        png(&frame(&a, Degradation::Clean, 1)),
        png(&frame(&a, Degradation::Clean, 2)),
        blank.clone(),
        png(&frame(&a, Degradation::Clean, 3)),
        b"this is not an image".to_vec(),
        png(&frame(&b, Degradation::Clean, 4)),
        blank,
    ];
    let (url, served) = snapshot_server(frames).await;
    let broker = EmbeddedBroker::start();
    let mut bus = Watcher::connect(broker.addr, "edge", &["gasq/MUM-0042/lane/+/scan"]).await;
    let config = parse_str(&format!(
        "station = \"MUM-0042\"\n[mqtt]\nverdict_key = \"_RckOFqgx1tk-3jNYC-h2ZH96_drE8WO1wLqyDXp9hg\"\nurl = \"{}\"\n[[camera]]\nlane = 2\nsnapshot_url = \"{url}\"\ninterval = \"50ms\"\nrepeat_after = \"1m\"\n",
        broker.url()
    ))
    .unwrap();
    let stop = CancellationToken::new();
    let bridge = launch(&config, stop.clone()).unwrap();

    let first = bus.next_on("/lane/2/scan").await.json();
    assert_eq!(first["code"], a.as_str());
    assert!(first["id"].as_str().unwrap().starts_with("2-"));
    // Had `a` been published again, it would arrive before `b`.
    assert_eq!(bus.next_on("/lane/2/scan").await.json()["code"], b.as_str());
    let counts = eventually("all frames looked at", || {
        let c = bridge.device_counts()[0].1;
        (*served.lock().unwrap() > 7 && c.lines >= 7).then_some(c)
    })
    .await;
    assert_eq!(counts.published, 2);
    assert_eq!(counts.errors, 1, "the non-image frame is counted");
    stop.cancel();
    bridge.wait().await;
}
