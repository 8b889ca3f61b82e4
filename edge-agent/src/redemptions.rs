//! The one-time redemption decision (docs/architecture.md, invariant 2), in SQL.
//!
//! [`redeem`] runs in one `IMMEDIATE` transaction: revoked? → insert into
//! `redemptions` (the primary key makes a second insert for the same booking conflict,
//! from any lane, before or after a crash) → append the matching outbox event → commit.
//! The commit is durable (`synchronous=FULL`) before the caller learns the outcome.

use chrono::{DateTime, Utc};
use gasq_shared::BookingId;
use gasq_shared::sync::EdgeEventKind;
use gasq_shared::topics::Reason;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::db::DbError;
use crate::outbox;

/// How a token or code reached the edge (kept with the redemption for the technician).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Scan,
    Frame,
    Manual,
    ShortCode,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Self::Scan => "scan",
            Self::Frame => "frame",
            Self::Manual => "manual",
            Self::ShortCode => "short_code",
        }
    }
}

/// What the database decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Redeemed now. `known`: the booking had arrived by sync before.
    Redeemed {
        known: bool,
    },
    AlreadyUsed,
    Revoked,
}

/// Decides and records the redemption of `booking` (see the module docs).
pub fn redeem(
    conn: &mut Connection,
    booking: BookingId,
    lane: Option<u16>,
    via: Via,
    now: DateTime<Utc>,
) -> Result<Outcome, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id = booking.to_string();
    let revoked = tx
        .query_row(
            "SELECT 1 FROM revocations WHERE booking_id = ?1",
            [&id],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    let outcome = if revoked {
        Outcome::Revoked
    } else {
        let known = tx
            .query_row("SELECT 1 FROM bookings WHERE id = ?1", [&id], |_| Ok(()))
            .optional()?
            .is_some();
        let inserted = tx.execute(
            "INSERT INTO redemptions (booking_id, lane, known, via, redeemed_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (booking_id) DO NOTHING",
            params![id, lane, known, via.as_str(), now.to_rfc3339()],
        )?;
        if inserted == 1 {
            Outcome::Redeemed { known }
        } else {
            Outcome::AlreadyUsed
        }
    };
    let event = match outcome {
        Outcome::Redeemed { known } => EdgeEventKind::Redeemed {
            booking_id: booking,
            lane,
            known,
        },
        Outcome::AlreadyUsed => rejected(Reason::AlreadyUsed, Some(booking), lane),
        Outcome::Revoked => rejected(Reason::Revoked, Some(booking), lane),
    };
    outbox::append(&tx, &event, now)?;
    tx.commit()?;
    Ok(outcome)
}

/// Records a refused scan (no redemption was attempted).
pub fn reject(
    conn: &mut Connection,
    reason: Reason,
    booking: Option<BookingId>,
    lane: Option<u16>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    outbox::append(conn, &rejected(reason, booking, lane), now)?;
    Ok(())
}

fn rejected(reason: Reason, booking_id: Option<BookingId>, lane: Option<u16>) -> EdgeEventKind {
    EdgeEventKind::Rejected {
        reason,
        booking_id,
        lane,
    }
}

/// A synced booking found by its short code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBooking {
    pub id: BookingId,
    pub vehicle: Option<String>,
    pub valid_from_unix: i64,
    pub valid_until_unix: i64,
    pub quantity_centikg: u16,
}

/// Looks up a booking by the letter code of a booking from before lane codes (case and
/// spaces ignored). Never finds an 8-digit lane code: those are checked with the
/// station's secret (`crate::lanecodes`).
/// `Ok(None)` when no synced booking has it; ambiguous codes also give `None`.
pub fn booking_by_code(conn: &Connection, code: &str) -> Result<Option<CodeBooking>, DbError> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let mut stmt = conn.prepare_cached(
        "SELECT id, vehicle, valid_from_unix, valid_until_unix, quantity_centikg
         FROM bookings WHERE upper(code) = ?1
         AND NOT code GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' LIMIT 2",
    )?;
    let rows = stmt
        .query_map([code], CodeBooking::row)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = rows.into_iter();
    let (Some(row), None) = (rows.next(), rows.next()) else {
        return Ok(None);
    };
    row.parsed().map(Some)
}

/// A `bookings` row as [`CodeBooking::row`] reads it (columns `id, vehicle,
/// valid_from_unix, valid_until_unix, quantity_centikg`), before the id is parsed.
#[derive(Debug)]
pub struct CodeBookingRow(String, Option<String>, i64, i64, i64);

impl CodeBooking {
    /// Reads the columns `id, vehicle, valid_from_unix, valid_until_unix,
    /// quantity_centikg`, in that order.
    pub fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CodeBookingRow> {
        Ok(CodeBookingRow(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    }
}

impl CodeBookingRow {
    pub fn parsed(self) -> Result<CodeBooking, DbError> {
        let Self(id, vehicle, from, until, centikg) = self;
        Ok(CodeBooking {
            id: id
                .parse()
                .map_err(|e| DbError::Corrupt(format!("booking id: {e}")))?,
            vehicle,
            valid_from_unix: from,
            valid_until_unix: until,
            quantity_centikg: u16::try_from(centikg).unwrap_or(0),
        })
    }
}

/// Whether `booking` has been redeemed here (tests and doctor use it).
pub fn is_redeemed(conn: &Connection, booking: BookingId) -> Result<bool, DbError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM redemptions WHERE booking_id = ?1",
            [booking.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_booking_is_redeemed_once() {
        let mut conn = crate::db::memory();
        let b = BookingId::new();
        let now = Utc::now();
        assert_eq!(
            redeem(&mut conn, b, Some(1), Via::Scan, now).unwrap(),
            Outcome::Redeemed { known: false }
        );
        assert_eq!(
            redeem(&mut conn, b, Some(2), Via::Scan, now).unwrap(),
            Outcome::AlreadyUsed
        );
        assert!(is_redeemed(&conn, b).unwrap());
        let stats = crate::outbox::stats(&conn).unwrap();
        assert_eq!(stats.depth, 2, "one Redeemed, one Rejected event");
    }

    #[test]
    fn a_revoked_booking_is_refused_and_not_redeemed() {
        let mut conn = crate::db::memory();
        let b = BookingId::new();
        conn.execute(
            "INSERT INTO revocations (booking_id, synced_at) VALUES (?1, 'now')",
            [b.to_string()],
        )
        .unwrap();
        assert_eq!(
            redeem(&mut conn, b, None, Via::Scan, Utc::now()).unwrap(),
            Outcome::Revoked
        );
        assert!(!is_redeemed(&conn, b).unwrap());
    }

    #[test]
    fn short_codes_ignore_case_and_spaces() {
        let conn = crate::db::memory();
        let b = BookingId::new();
        conn.execute(
            "INSERT INTO bookings VALUES (?1, 'AB12CD', NULL, 's', 'e', 10, 20, 500, 0)",
            [b.to_string()],
        )
        .unwrap();
        let found = booking_by_code(&conn, " ab12 cd ").unwrap().unwrap();
        assert_eq!(found.id, b);
        assert_eq!(found.quantity_centikg, 500);
        assert_eq!(booking_by_code(&conn, "ZZZZ").unwrap(), None);
    }
}
