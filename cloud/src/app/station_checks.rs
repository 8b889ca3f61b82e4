//! The bounds of a station's settings, each checked with a message that names the
//! setting and says what to send instead.

use super::Invalid;

pub(super) fn check_position(lat: f64, lon: f64) -> std::result::Result<(f64, f64), Invalid> {
    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
        Ok((lat, lon))
    } else {
        Err(Invalid::new("lat", "lat must be -90..90 and lon -180..180"))
    }
}

pub(super) fn check_name(raw: &str) -> std::result::Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Invalid::new("name", "give a name of 1 to 100 characters"));
    }
    Ok(name.to_owned())
}

pub(super) fn check_price(price: i64) -> std::result::Result<i64, Invalid> {
    if (1..=100_000).contains(&price) {
        Ok(price)
    } else {
        Err(Invalid::new("price_paise_per_kg", "use 1 to 100000 paise"))
    }
}

pub(super) fn check_min_bookable(places: u16) -> std::result::Result<u16, Invalid> {
    if places <= 1000 {
        Ok(places)
    } else {
        Err(Invalid::new("min_bookable_places", "use 0 to 1000 places"))
    }
}

pub(super) fn check_walkin_share(percent: u16) -> std::result::Result<u16, Invalid> {
    if percent <= 200 {
        Ok(percent)
    } else {
        Err(Invalid::new(
            "walkin_reserve_share_percent",
            "use 0 to 200 (percent of the walk-ins the forecast expects)",
        ))
    }
}

pub(super) fn check_wait_target(minutes: u16) -> std::result::Result<u16, Invalid> {
    if (1..=60).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(Invalid::new("wait_target_minutes", "use 1 to 60 minutes"))
    }
}
