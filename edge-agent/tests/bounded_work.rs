//! A flood of decompression bombs on every lane (docs/edge.md "The station bus",
//! bounded work), through the real `gasq-edge`: each bomb is refused from its header —
//! answered `malformed` or shed for a newer frame — the agent's peak memory stays far
//! below what one decoded bomb would take, and every lane answers its scans throughout.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

mod common;

use common::bus::{BusClient, lane_topic, verdicts};
use common::edge::{self, Edge};
use common::fake_cloud::FakeCloud;
use common::tokens;

const STATION: &str = "BMB-0001";
const LANES: u16 = 8;
const BOMBS_PER_LANE: u64 = 4;
/// The budget: 32 bombs would decode to 4 GiB.
const PEAK_BUDGET: u64 = 150 * 1024 * 1024;

/// A PNG of 4096×4096 16-bit RGBA, all zero: small on the wire, 128 MiB decoded.
fn bomb() -> Vec<u8> {
    let side = 4096u32;
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, side, side);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Sixteen);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; side as usize * 8];
        for _ in 0..side {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    png
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_on_every_lane_stay_within_the_memory_budget_and_lanes_answer() {
    let cloud = FakeCloud::start().await;
    let data = edge::enroll(&cloud, STATION, LANES).await;
    let edge = Edge::start(data.path(), &[]).await;
    let mut scanner = BusClient::connect(edge.mqtt, &[verdicts(STATION)], None).await;
    let flooder = BusClient::connect(edge.mqtt, &[], None).await;
    let bomb = bomb();

    for round in 0..BOMBS_PER_LANE {
        for lane in 1..=LANES {
            flooder
                .publish(&lane_topic(STATION, lane, "frame"), bomb.clone())
                .await;
        }
        // Meanwhile every lane answers a real scan (the bombs' `malformed` verdicts
        // come on the same topics, without a scan id).
        for lane in 1..=LANES {
            let id = format!("{round}-{lane}");
            let scan = serde_json::json!({"id": id, "code": tokens::valid().text});
            scanner
                .publish(&lane_topic(STATION, lane, "scan"), scan.to_string())
                .await;
            let topic = lane_topic(STATION, lane, "verdict");
            let verdict = loop {
                let verdict: serde_json::Value =
                    serde_json::from_slice(&scanner.next_on(&topic).await).unwrap();
                if verdict["scan_id"] == id.as_str() {
                    break verdict;
                }
            };
            assert_eq!(verdict["accepted"], true, "{verdict}");
        }
    }
    let all = LANES as u64 * BOMBS_PER_LANE;
    let status = edge
        .wait_status("every bomb refused or shed", |s| {
            let c = &s["counters"];
            c["verdicts"]["malformed"].as_u64().unwrap() + c["frames_shed"].as_u64().unwrap() == all
        })
        .await;
    assert_eq!(status["counters"]["verdicts"]["ok"], all, "{status:#}");
    let peak = edge.peak_memory();
    eprintln!("peak memory of the agent: {} MiB", peak >> 20);
    assert!(peak < PEAK_BUDGET, "peak memory {} MiB", peak >> 20);
}
