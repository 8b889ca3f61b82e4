#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion
//! Tokens for the simulator from the cloud API: `GET {cloud}/api/v1/bookings/{id}/token`
//! with a bearer token, answered by a fake cloud on a free port.

use gasq_bridge::simulate::tokens::from_cloud;
use gasq_shared::BookingId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers each request: the token for a known booking with the right bearer token,
/// 401 without it, 404 otherwise.
async fn fake_cloud(known: BookingId) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&request).to_lowercase();
            let (status, body) = if !request.contains("authorization: bearer s3cret") {
                (
                    "401 Unauthorized",
                    r#"{"type":"about:blank","title":"unauthorized"}"#.to_owned(),
                )
            } else if request.starts_with(&format!("get /api/v1/bookings/{known}/token ")) {
                (
                    "200 OK",
                    format!(
                        r#"{{"token":"GQ1:FROM-CLOUD-{known}","valid_from":"2025-01-01T10:00:00Z","valid_until":"2025-01-01T11:00:00Z"}}"#
                    ),
                )
            } else {
                (
                    "404 Not Found",
                    r#"{"type":"about:blank","title":"no such booking"}"#.to_owned(),
                )
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    base
}

#[tokio::test]
async fn tokens_are_fetched_per_booking_with_the_bearer_token() {
    let booking = BookingId::new();
    let cloud = fake_cloud(booking).await;
    let tokens = from_cloud(&format!("{cloud}/"), "s3cret", &[booking, booking])
        .await
        .unwrap();
    assert_eq!(tokens, vec![format!("GQ1:FROM-CLOUD-{booking}"); 2]);
}

#[tokio::test]
async fn a_refusal_names_the_booking_and_the_status() {
    let booking = BookingId::new();
    let cloud = fake_cloud(booking).await;
    let other = BookingId::new();
    let err = from_cloud(&cloud, "s3cret", &[other])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&other.to_string()) && err.contains("404"),
        "{err}"
    );
    let err = from_cloud(&cloud, "wrong", &[booking])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("401"), "{err}");
}
