//! The per-station change log edges pull. [`log_change!`] appends inside the caller's
//! transaction: it bumps the station's `change_seq` under the station row lock, so
//! numbers are handed out in commit order.
//!
//! IMPORTANT: lock order. Transactions lock slot rows before the station row and the
//! audit head last; callers of this macro must keep that order to stay deadlock-free.

/// Appends `($kind, $booking)` to `$station`'s change log in transaction `$tx`.
/// `$kind` is `"booking"`, `"station"` or `"keys"`; `$booking` an `Option<uuid::Uuid>`.
macro_rules! log_change {
    ($tx:ident, $station:expr, $kind:expr, $booking:expr) => {{
        let station: i64 = $station;
        let seq: i64 = sqlx::query_scalar(
            "UPDATE stations SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq",
        )
        .bind(station)
        .fetch_one(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO station_changes (station_id, seq, kind, booking_id, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(station)
        .bind(seq)
        .bind($kind)
        .bind($booking)
        .bind(chrono::Utc::now())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(super) use log_change;
