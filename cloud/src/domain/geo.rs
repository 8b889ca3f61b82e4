//! Distances on the map.

/// Great-circle distance (haversine), kilometres.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_KM: f64 = 6371.0;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_KM * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_great_circle_kilometres() {
        // Andheri to Bandra, Mumbai: about 7 km.
        let d = distance_km(19.1197, 72.8468, 19.0596, 72.8295);
        assert!((6.0..8.0).contains(&d), "{d}");
        assert!(distance_km(19.0, 72.8, 19.0, 72.8).abs() < 1e-9);
    }
}
