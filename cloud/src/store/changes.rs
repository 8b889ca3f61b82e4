//! The per-station change log edges pull. [`log_change!`] inserts an unnumbered entry
//! inside the caller's transaction (no lock); the sealer (`seal.rs`) numbers committed
//! entries per station, so a cursor never skips an entry that committed late.

/// Appends `($kind, $booking)` to `$station`'s change log in transaction `$tx`.
/// `$kind` is `"booking"`, `"station"` or `"keys"`; `$booking` an `Option<uuid::Uuid>`.
macro_rules! log_change {
    ($tx:ident, $station:expr, $kind:expr, $booking:expr) => {{
        let station: i64 = $station;
        sqlx::query("INSERT INTO station_changes (station_id, kind, booking_id, at) VALUES ($1, $2, $3, $4)")
            .bind(station)
            .bind($kind)
            .bind($booking)
            .bind(chrono::Utc::now())
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(super) use log_change;
