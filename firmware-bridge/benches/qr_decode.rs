//! QR decoding of camera frames: gasq-bridge's decoder (gasq-shared `frames`: PNG load
//! and rqrr) against `zbarimg` (Debian zbar-tools) on the same 640×480 PNG files, in
//! the same run. Prints a Markdown table for docs/benchmarks.md.
//!
//! Run: `cargo bench -p gasq-bridge --bench qr_decode` (FRAMES_PER_KIND=50 by default).
//! zbarimg runs once per kind over all its files (its start-up is spread over them);
//! the bridge is timed per frame, from PNG bytes in memory to decoded text.

#![allow(clippy::unwrap_used)] // a benchmark that cannot run should stop loudly

#[path = "../tests/common/frames.rs"]
mod frames;
#[allow(dead_code)] // the bench uses the fixed tokens only
#[path = "../tests/common/tokens.rs"]
mod tokens;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use frames::{Degradation, frame, png};

struct Row {
    kind: &'static str,
    frames: usize,
    ours_ok: usize,
    ours_median: Duration,
    ours_mean: Duration,
    /// With the camera driver's second look at an enhanced copy.
    second_ok: usize,
    second_mean: Duration,
    zbar: Option<(usize, Duration)>,
}

fn main() {
    let per_kind: u64 = std::env::var("FRAMES_PER_KIND")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let zbar = zbarimg();
    let mut rows = Vec::new();
    for how in Degradation::ALL {
        let mut files = Vec::new();
        let mut expected = Vec::new();
        let mut times = Vec::new();
        let mut ok = 0;
        let (mut second_ok, mut second_total) = (0, Duration::ZERO);
        for seed in 0..per_kind {
            let token = tokens::fixed_token(seed);
            let bytes = png(&frame(&token, how, seed));
            let path = dir.path().join(format!("{}-{seed:03}.png", how.name()));
            std::fs::write(&path, &bytes).unwrap();
            let start = Instant::now();
            let codes = gasq_shared::frames::decode_frame(&bytes).unwrap();
            times.push(start.elapsed());
            ok += usize::from(codes.contains(&token));
            let start = Instant::now();
            let img = gasq_shared::frames::load(&bytes).unwrap();
            let codes = gasq_bridge::drivers::camera::enhance::decode(&img);
            second_total += start.elapsed();
            second_ok += usize::from(codes.contains(&token));
            files.push(path);
            expected.push(token);
        }
        times.sort();
        let total: Duration = times.iter().sum();
        rows.push(Row {
            kind: how.name(),
            frames: files.len(),
            ours_ok: ok,
            ours_median: times[times.len() / 2],
            ours_mean: total / times.len() as u32,
            second_ok,
            second_mean: second_total / times.len() as u32,
            zbar: zbar.as_ref().map(|bin| run_zbar(bin, &files, &expected)),
        });
    }
    print_table(&rows, zbar.is_some());
    empty_scenes(per_kind, dir.path(), zbar.as_ref());
}

/// The common case for a lane camera: no code in view. Every pass runs and fails.
fn empty_scenes(n: u64, dir: &std::path::Path, zbar: Option<&PathBuf>) {
    let mut files = Vec::new();
    let (mut first, mut full) = (Duration::ZERO, Duration::ZERO);
    for seed in 0..n {
        let bytes = png(&frames::empty(seed));
        let path = dir.join(format!("empty-{seed:03}.png"));
        std::fs::write(&path, &bytes).unwrap();
        files.push(path);
        let start = Instant::now();
        assert!(
            gasq_shared::frames::decode_frame(&bytes)
                .unwrap()
                .is_empty()
        );
        first += start.elapsed();
        let start = Instant::now();
        let img = gasq_shared::frames::load(&bytes).unwrap();
        assert!(gasq_bridge::drivers::camera::enhance::decode(&img).is_empty());
        full += start.elapsed();
    }
    let z = zbar.map_or_else(|| "–".into(), |bin| ms(run_zbar(bin, &files, &[]).1));
    println!(
        "| no code in view | {} | – | | {} | – | {} | – | {z} |",
        files.len(),
        ms(first / n as u32),
        ms(full / n as u32)
    );
}

fn zbarimg() -> Option<PathBuf> {
    let found = Command::new("zbarimg").arg("--version").output().is_ok();
    if !found {
        eprintln!("zbarimg not found (apt-get install zbar-tools): its column stays empty");
    }
    found.then(|| PathBuf::from("zbarimg"))
}

/// Decoded count and wall time per frame for one zbarimg run over `files`.
fn run_zbar(bin: &PathBuf, files: &[PathBuf], expected: &[String]) -> (usize, Duration) {
    let start = Instant::now();
    let out = Command::new(bin)
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .args(files)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    let read: std::collections::HashSet<&str> = text.lines().collect();
    let ok = expected
        .iter()
        .filter(|t| read.contains(t.as_str()))
        .count();
    (ok, elapsed / files.len() as u32)
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn print_table(rows: &[Row], with_zbar: bool) {
    println!(
        "| frames (640×480 PNG) | n | rqrr decoded | median ms/frame | mean ms/frame | bridge camera path decoded | mean ms/frame | zbarimg decoded | zbarimg ms/frame |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (mut n, mut ours, mut second, mut theirs) = (0, 0, 0, 0);
    for r in rows {
        let (z_ok, z_ms) = match r.zbar {
            Some((ok, t)) => (format!("{ok} ({:.0}%)", pct(ok, r.frames)), ms(t)),
            None => ("–".into(), "–".into()),
        };
        println!(
            "| {} | {} | {} ({:.0}%) | {} | {} | {} ({:.0}%) | {} | {z_ok} | {z_ms} |",
            r.kind,
            r.frames,
            r.ours_ok,
            pct(r.ours_ok, r.frames),
            ms(r.ours_median),
            ms(r.ours_mean),
            r.second_ok,
            pct(r.second_ok, r.frames),
            ms(r.second_mean),
        );
        n += r.frames;
        ours += r.ours_ok;
        second += r.second_ok;
        theirs += r.zbar.map_or(0, |z| z.0);
    }
    let z = if with_zbar {
        format!("{theirs} ({:.0}%)", pct(theirs, n))
    } else {
        "–".into()
    };
    println!(
        "| **all** | {n} | {ours} ({:.0}%) | | | {second} ({:.0}%) | | {z} | |",
        pct(ours, n),
        pct(second, n)
    );
}

fn pct(a: usize, b: usize) -> f64 {
    100.0 * a as f64 / b.max(1) as f64
}
