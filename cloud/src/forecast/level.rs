//! A station's level: how many arrivals its average hour brings, fitted from its own
//! history as the model card says (`models/README.md`, "The contract the cloud follows
//! for level"): `Σ arrivals / Σ shape` over the trailing 28 days, or a prior while the
//! station has less than 7 days of history.

/// Days of history the level is fitted over.
pub const LEVEL_DAYS: i64 = 28;
/// Days of history needed before the station's own level replaces the prior.
pub const MIN_HISTORY_DAYS: i64 = 7;
/// The prior: an average hour uses this share of the station's hourly capacity.
pub const PRIOR_SHARE_OF_CAPACITY: f64 = 0.35;

/// `Σ arrivals / Σ shape` over the same hours; `None` when the shapes sum to nothing.
pub fn fit(arrivals_and_shapes: impl IntoIterator<Item = (f64, f32)>) -> Option<f64> {
    let (mut arrivals, mut shape) = (0.0f64, 0.0f64);
    for (a, s) in arrivals_and_shapes {
        arrivals += a;
        shape += f64::from(s);
    }
    (shape > 0.0).then(|| arrivals / shape)
}

/// The level of a station with too little history: a share of its hourly capacity.
pub fn prior(lanes_in_service: u16, service_minutes: u16) -> f64 {
    PRIOR_SHARE_OF_CAPACITY * f64::from(lanes_in_service) * 60.0 / f64::from(service_minutes.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_scales_shapes_to_the_arrivals_seen() {
        let level = fit([(10.0, 0.5), (30.0, 1.5)]).unwrap();
        assert!((level - 20.0).abs() < 1e-12);
        assert_eq!(fit([(3.0, 0.0)]), None);
    }

    #[test]
    fn the_prior_is_a_share_of_hourly_capacity() {
        // 2 lanes, 4 minutes a fill: 30 fills an hour, 35 % of it.
        assert!((prior(2, 4) - 10.5).abs() < 1e-12);
    }
}
