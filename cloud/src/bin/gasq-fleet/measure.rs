//! What the fleet measures besides its own counters: the cloud process's memory and CPU
//! (from `/proc/<pid>`), and latency percentiles.

use std::time::Instant;

use hdrhistogram::Histogram;

/// The cloud's resident memory and CPU time at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    at: Instant,
    rss_kib: u64,
    cpu_ticks: u64,
}

/// Reads `/proc/<pid>` of the cloud (Linux); `None` without a pid or on another system.
pub fn sample(pid: Option<u32>) -> Option<Sample> {
    let pid = pid?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces, so split after its ')').
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let (utime, stime): (u64, u64) = (fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?);
    Some(Sample {
        at: Instant::now(),
        rss_kib,
        cpu_ticks: utime + stime,
    })
}

/// "RSS 174 MiB, CPU 85% of one core" between two samples.
pub fn between(from: Option<Sample>, to: Option<Sample>) -> String {
    let (Some(from), Some(to)) = (from, to) else {
        return "cloud process not observed (pass --cloud-pid)".into();
    };
    // Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) on every common system.
    let cpu_secs = to.cpu_ticks.saturating_sub(from.cpu_ticks) as f64 / 100.0;
    let wall = to.at.duration_since(from.at).as_secs_f64().max(0.001);
    format!(
        "cloud RSS {} MiB, CPU {:.0}% of one core",
        to.rss_kib / 1024,
        100.0 * cpu_secs / wall
    )
}

/// "p50 1.2 ms, p99 3.4 ms, max 9.8 ms (n = 200)" of a histogram in microseconds.
pub fn percentiles(h: &Histogram<u64>) -> String {
    let ms = |v: u64| v as f64 / 1000.0;
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n = {})",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max()),
        h.len()
    )
}
