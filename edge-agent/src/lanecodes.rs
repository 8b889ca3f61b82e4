//! Lane codes at the lane (docs/architecture.md, "Lane codes"): the booking an
//! attendant's typed 8-digit code belongs to, found among the synced bookings alone —
//! no cloud needed. A booking matches only its one issued code (as synced), and only if
//! that code is the MAC of the booking, the station and its current window under one
//! of the station's lane-code secrets: a guess has one chance in 10^8 per live booking,
//! and a code synced for another window, or altered in the box's database, finds
//! nothing.

use chrono::{DateTime, TimeZone, Utc};
use gasq_shared::StationId;
use gasq_shared::lanecode::{self, CodeSubject, LaneCodeSecret};
use rusqlite::Connection;

use crate::db::{DbError, kv};
use crate::redemptions::CodeBooking;

/// Bookings whose window is this far from now are not candidates: their verdict would
/// be `too_early` or `expired` anyway.
const CANDIDATE_MARGIN_SECS: i64 = 24 * 3600;

/// What a typed lane code found.
#[derive(Debug)]
pub enum Found {
    /// No synced booking near now has this code (a guess, a typo, or a booking made
    /// after the last pull).
    Nothing,
    One(CodeBooking),
    /// Two synced bookings carry the code (the cloud never issues one code twice): ask
    /// for the QR.
    Ambiguous,
    /// The box holds no lane-code secret yet (enrolled before lane codes; the next
    /// pull of the station brings it).
    NoSecret,
}

/// The synced booking whose lane code is `code` (already normalised to 8 digits).
pub fn find(
    conn: &Connection,
    station: StationId,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Found, DbError> {
    let secrets: Vec<LaneCodeSecret> =
        kv::get(conn, kv::keys::LANE_CODE_SECRETS)?.unwrap_or_default();
    let keys: Vec<[u8; 32]> = secrets.iter().filter_map(LaneCodeSecret::bytes).collect();
    if keys.is_empty() {
        return Ok(Found::NoSecret);
    }
    let now = now.timestamp();
    let mut stmt = conn.prepare_cached(
        "SELECT id, vehicle, valid_from_unix, valid_until_unix, quantity_centikg FROM bookings
         WHERE code = ?1 AND valid_from_unix <= ?2 AND valid_until_unix >= ?3",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![
            code,
            now + CANDIDATE_MARGIN_SECS,
            now - CANDIDATE_MARGIN_SECS
        ],
        CodeBooking::row,
    )?;
    let mut found = Vec::new();
    for row in rows {
        let booking = row?.parsed()?;
        let subject = CodeSubject {
            booking: booking.id,
            station,
            valid_from: unix(booking.valid_from_unix)?,
            valid_until: unix(booking.valid_until_unix)?,
        };
        if keys.iter().any(|k| lanecode::matches(k, &subject, code)) {
            found.push(booking);
        }
    }
    let mut found = found.into_iter();
    Ok(match (found.next(), found.next()) {
        (None, _) => Found::Nothing,
        (Some(b), None) => Found::One(b),
        (Some(_), Some(_)) => Found::Ambiguous,
    })
}

fn unix(secs: i64) -> Result<DateTime<Utc>, DbError> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .ok_or_else(|| DbError::Corrupt(format!("time {secs} out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gasq_shared::BookingId;

    fn db() -> Connection {
        crate::db::memory()
    }

    fn add(c: &Connection, id: BookingId, code: &str, (from, until): (i64, i64)) {
        c.execute(
            "INSERT INTO bookings (id, code, vehicle, slot_start, slot_end, valid_from_unix,
             valid_until_unix, quantity_centikg, prepaid) VALUES (?1, ?2, NULL, '', '', ?3, ?4, 800, 0)",
            rusqlite::params![id.to_string(), code, from, until],
        )
        .unwrap();
    }

    fn code_of(secret: &[u8; 32], id: BookingId, from: i64, until: i64, nonce: u8) -> String {
        let subject = CodeSubject {
            booking: id,
            station: StationId::new(3).unwrap(),
            valid_from: unix(from).unwrap(),
            valid_until: unix(until).unwrap(),
        };
        lanecode::lane_code(secret, &subject, nonce)
    }

    #[test]
    fn a_code_finds_its_booking_under_either_secret_version_and_nothing_else() {
        let c = db();
        let station = StationId::new(3).unwrap();
        let now = Utc::now();
        let t = now.timestamp();
        let (a, b, moved) = (BookingId::new(), BookingId::new(), BookingId::new());
        let window = (t - 600, t + 600);
        let by_old_secret = code_of(&[1; 32], a, t - 600, t + 600, 0);
        let later_nonce = code_of(&[2; 32], b, t - 600, t + 600, 5);
        // Synced with the code of a window it no longer has.
        let stale = code_of(&[2; 32], moved, t - 900, t + 600, 0);
        add(&c, a, &by_old_secret, window);
        add(&c, b, &later_nonce, window);
        add(&c, moved, &stale, window);
        assert!(matches!(
            find(&c, station, &by_old_secret, now).unwrap(),
            Found::NoSecret
        ));
        let secrets = vec![
            LaneCodeSecret::from_bytes(2, &[2; 32]),
            LaneCodeSecret::from_bytes(1, &[1; 32]),
        ];
        kv::set(&c, kv::keys::LANE_CODE_SECRETS, &secrets, now).unwrap();
        let Found::One(hit) = find(&c, station, &by_old_secret, now).unwrap() else {
            panic!("a code under the previous secret still finds its booking");
        };
        assert_eq!(hit.id, a);
        let Found::One(hit) = find(&c, station, &later_nonce, now).unwrap() else {
            panic!("a code with a later nonce finds its booking");
        };
        assert_eq!(hit.id, b);
        // A MAC of the booking that was never issued (another nonce) finds nothing: one
        // code per booking.
        let unissued = code_of(&[2; 32], a, t - 600, t + 600, 3);
        assert!(matches!(
            find(&c, station, &unissued, now).unwrap(),
            Found::Nothing
        ));
        assert!(
            matches!(find(&c, station, &stale, now).unwrap(), Found::Nothing),
            "a code synced for another window finds nothing"
        );
    }
}
