//! How long a walk-in waits, and how many lanes keep that wait short: the M/M/c queue
//! (Erlang C). Arrivals come at random at `arrivals_per_hour`; each open lane serves
//! one vehicle per `service_minutes` on average. The estimate is for planning staff by
//! the hour, not a promise: real queues bunch (buses of autorickshaws at shift change)
//! and real fills vary, so the plan errs on the side of one lane more.

/// The expected wait in the queue, minutes, with `lanes` lanes open; `None` when the
/// lanes cannot keep up at all (arrivals at or above what they can serve).
pub fn expected_wait_minutes(
    arrivals_per_hour: f64,
    service_minutes: f64,
    lanes: u32,
) -> Option<f64> {
    if arrivals_per_hour <= 0.0 {
        return Some(0.0);
    }
    if lanes == 0 || service_minutes <= 0.0 {
        return None;
    }
    let lambda = arrivals_per_hour / 60.0; // per minute
    let mu = 1.0 / service_minutes; // per lane per minute
    let c = f64::from(lanes);
    let a = lambda / mu; // offered load, in lanes
    if a >= c {
        return None;
    }
    // Erlang C: the chance an arrival has to wait, summed term by term (no factorials
    // that overflow).
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for k in 1..lanes {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / c; // a^c / c!
    let waiting = last * c / (c - a);
    let p_wait = waiting / (sum + waiting);
    Some(p_wait / (c * mu - lambda))
}

/// The fewest lanes (of `available`) that keep the expected wait at or under
/// `target_minutes`; all of them when none do.
pub fn lanes_needed(
    arrivals_per_hour: f64,
    service_minutes: f64,
    target_minutes: f64,
    available: u32,
) -> u32 {
    (1..=available)
        .find(|&c| {
            expected_wait_minutes(arrivals_per_hour, service_minutes, c)
                .is_some_and(|w| w <= target_minutes)
        })
        .unwrap_or(available)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lane_is_the_textbook_single_server_queue() {
        // M/M/1: Wq = ρ / (μ − λ). 10 an hour, 4 minutes each: ρ = 2/3, μ − λ = 1/12 a
        // minute, so Wq = 8 minutes.
        let w = expected_wait_minutes(10.0, 4.0, 1).unwrap();
        assert!((w - 8.0).abs() < 1e-9, "{w}");
    }

    #[test]
    fn two_lanes_match_the_erlang_c_formula() {
        // a = 2 (30 an hour, 4 minutes each), c = 3: P(wait) = 4/9, Wq = P / (cμ − λ)
        // = (4/9) / (0.75 − 0.5) = 16/9 minutes.
        let w = expected_wait_minutes(30.0, 4.0, 3).unwrap();
        assert!((w - 16.0 / 9.0).abs() < 1e-9, "{w}");
        assert_eq!(
            expected_wait_minutes(30.0, 4.0, 2),
            None,
            "two lanes cannot keep up"
        );
    }

    #[test]
    fn the_plan_opens_lanes_only_as_the_rush_needs_them() {
        assert_eq!(lanes_needed(0.0, 4.0, 5.0, 4), 1);
        assert_eq!(
            lanes_needed(10.0, 4.0, 5.0, 4),
            2,
            "one lane waits 8 minutes"
        );
        assert_eq!(lanes_needed(30.0, 4.0, 5.0, 4), 3);
        assert_eq!(
            lanes_needed(100.0, 4.0, 5.0, 4),
            4,
            "more than the station has"
        );
    }
}
