//! The outbox: every event the edge records waits here until the cloud acks it
//! (docs/architecture.md, invariant 3). Events are appended inside the same transaction as the state change
//! they describe, so an event exists exactly when its change does.
//!
//! `seq` (the edge's order, AUTOINCREMENT so never reused) and the event id (UUID v7,
//! made here) travel with the event; the cloud dedups by id. Events the cloud refuses
//! move to `quarantine`: reported by status and doctor, never retried.

use chrono::{DateTime, Utc};
use gasq_shared::EventId;
use gasq_shared::sync::{EdgeEvent, EdgeEventKind};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::db::DbError;

/// Appends one event; returns its id.
pub fn append(
    conn: &Connection,
    kind: &EdgeEventKind,
    at: DateTime<Utc>,
) -> Result<EventId, DbError> {
    let id = EventId::new();
    let body = serde_json::to_string(kind).map_err(|e| DbError::Corrupt(e.to_string()))?;
    conn.execute(
        "INSERT INTO outbox (id, at, body) VALUES (?1, ?2, ?3)",
        params![id.to_string(), at.to_rfc3339(), body],
    )?;
    Ok(id)
}

/// The oldest `limit` events, in order. Rows that no longer decode (written by a newer
/// version, or damaged) are quarantined on the way instead of blocking the outbox.
pub fn peek(conn: &mut Connection, limit: usize) -> Result<Vec<EdgeEvent>, DbError> {
    let rows: Vec<(i64, String, String, String)> = {
        let mut stmt =
            conn.prepare_cached("SELECT seq, id, at, body FROM outbox ORDER BY seq LIMIT ?1")?;
        stmt.query_map([limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?
    };
    let mut events = Vec::with_capacity(rows.len());
    for (seq, id, at, body) in rows {
        match decode(seq, &id, &at, &body) {
            Ok(event) => events.push(event),
            Err(why) => {
                tracing::error!(seq, %id, %why, "outbox row does not decode; quarantined");
                quarantine(
                    conn,
                    &id,
                    &format!("edge could not decode the event: {why}"),
                )?;
            }
        }
    }
    Ok(events)
}

fn decode(seq: i64, id: &str, at: &str, body: &str) -> Result<EdgeEvent, String> {
    Ok(EdgeEvent {
        id: id.parse().map_err(|e| format!("id: {e}"))?,
        seq,
        at: DateTime::parse_from_rfc3339(at)
            .map_err(|e| format!("at: {e}"))?
            .with_timezone(&Utc),
        kind: serde_json::from_str(body).map_err(|e| format!("body: {e}"))?,
    })
}

/// Applies the cloud's answer: acked events leave, rejected ones are quarantined.
/// Returns how many events left the outbox. Run it inside a transaction (the push
/// commits it together with the time of the push: one commit per answered batch).
pub fn settle(
    conn: &Connection,
    acked: &[EventId],
    rejected: &[(EventId, String)],
) -> Result<usize, DbError> {
    let mut gone = 0;
    {
        let mut delete = conn.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
        for id in acked {
            gone += delete.execute([id.to_string()])?;
        }
    }
    for (id, reason) in rejected {
        gone += quarantine(conn, &id.to_string(), reason)?;
    }
    Ok(gone)
}

/// Counts a failed attempt for the event at the head of the outbox; after `max`
/// attempts it is quarantined. Returns whether it was.
pub fn fail_head(conn: &mut Connection, id: EventId, why: &str, max: u32) -> Result<bool, DbError> {
    let tx = conn.transaction()?;
    let attempts: Option<i64> = tx
        .query_row(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1
             RETURNING attempts",
            params![id.to_string(), why],
            |r| r.get(0),
        )
        .optional()?;
    let quarantined = match attempts {
        Some(n) if n >= i64::from(max) => {
            let reason = format!("refused {n} times by the cloud: {why}");
            quarantine(&tx, &id.to_string(), &reason)? > 0
        }
        _ => false,
    };
    tx.commit()?;
    Ok(quarantined)
}

/// Moves one event to quarantine. Returns 1 if it was in the outbox.
fn quarantine(conn: &Connection, id: &str, reason: &str) -> Result<usize, DbError> {
    let moved = conn.execute(
        "INSERT OR IGNORE INTO quarantine (seq, id, at, body, reason, quarantined_at)
         SELECT seq, id, at, body, ?2, ?3 FROM outbox WHERE id = ?1",
        params![id, reason, Utc::now().to_rfc3339()],
    )?;
    conn.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
    Ok(moved)
}

/// Puts every quarantined event back into the outbox, in its original place (its
/// `seq`), with a fresh count of attempts: `gasq-edge outbox retry`, once whatever made
/// the cloud refuse them is fixed. Returns how many went back.
pub fn requeue_quarantined(conn: &mut Connection) -> Result<usize, DbError> {
    let tx = conn.transaction()?;
    let moved = tx.execute(
        "INSERT OR IGNORE INTO outbox (seq, id, at, body, attempts, last_error)
         SELECT seq, id, at, body, 0, 'quarantined before: ' || reason FROM quarantine",
        [],
    )?;
    tx.execute("DELETE FROM quarantine", [])?;
    tx.commit()?;
    Ok(moved)
}

/// How the outbox is doing, for status, `edge/status` and doctor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxStats {
    pub depth: u64,
    pub oldest_unsent_at: Option<DateTime<Utc>>,
    pub quarantined: u64,
    /// The most failed attempts of any waiting event (a stuck head shows here).
    pub max_attempts: u64,
}

/// Events set aside in quarantine.
pub fn quarantined(conn: &Connection) -> Result<u64, DbError> {
    let n: i64 = conn.query_row("SELECT count(*) FROM quarantine", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

pub fn stats(conn: &Connection) -> Result<OutboxStats, DbError> {
    let (depth, oldest, max_attempts): (i64, Option<String>, Option<i64>) = conn.query_row(
        "SELECT count(*), (SELECT at FROM outbox ORDER BY seq LIMIT 1), max(attempts) FROM outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let oldest_unsent_at = oldest
        .map(|s| DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)))
        .transpose()
        .map_err(|e| DbError::Corrupt(format!("outbox time: {e}")))?;
    Ok(OutboxStats {
        depth: depth.max(0) as u64,
        oldest_unsent_at,
        quarantined: quarantined(conn)?,
        max_attempts: max_attempts.unwrap_or(0).max(0) as u64,
    })
}

/// The event at the head of the outbox, when the cloud has refused it before: the push
/// retries it (everything behind it waits) until it is quarantined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckHead {
    pub seq: i64,
    pub attempts: u64,
    pub last_error: Option<String>,
}

pub fn stuck_head(conn: &Connection) -> Result<Option<StuckHead>, DbError> {
    let head = conn
        .query_row(
            "SELECT seq, attempts, last_error FROM outbox ORDER BY seq LIMIT 1",
            [],
            |r| {
                Ok(StuckHead {
                    seq: r.get(0)?,
                    attempts: r.get::<_, i64>(1)?.max(0) as u64,
                    last_error: r.get(2)?,
                })
            },
        )
        .optional()?;
    Ok(head.filter(|h| h.attempts > 0))
}

/// The outbox as it will be once its oldest `sent` events have left: how many remain
/// and when the oldest of those was recorded. A push reports this with its batch, so
/// the cloud's dashboard is current as soon as the batch is acked.
pub fn remaining_after(
    conn: &Connection,
    sent: usize,
) -> Result<(u64, Option<DateTime<Utc>>), DbError> {
    let depth: i64 = conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
    let oldest: Option<String> = conn
        .query_row(
            "SELECT at FROM outbox ORDER BY seq LIMIT 1 OFFSET ?1",
            [sent as i64],
            |r| r.get(0),
        )
        .optional()?;
    let oldest = oldest
        .map(|s| DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)))
        .transpose()
        .map_err(|e| DbError::Corrupt(format!("outbox time: {e}")))?;
    Ok(((depth.max(0) as u64).saturating_sub(sent as u64), oldest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gasq_shared::BookingId;

    fn fill(lane: u16) -> EdgeEventKind {
        EdgeEventKind::LaneOk { lane }
    }

    #[test]
    fn events_come_out_in_the_order_they_went_in() {
        let mut conn = crate::db::memory();
        for lane in 1..=5 {
            append(&conn, &fill(lane), Utc::now()).unwrap();
        }
        let events = peek(&mut conn, 3).unwrap();
        assert_eq!(events.len(), 3);
        assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(events[0].kind, fill(1));
    }

    #[test]
    fn acked_events_leave_and_rejected_ones_are_quarantined() {
        let mut conn = crate::db::memory();
        let a = append(&conn, &fill(1), Utc::now()).unwrap();
        let b = append(&conn, &fill(2), Utc::now()).unwrap();
        let c = append(&conn, &fill(3), Utc::now()).unwrap();
        let gone = settle(&conn, &[a], &[(b, "no such lane".into())]).unwrap();
        assert_eq!(gone, 2);
        let left = peek(&mut conn, 10).unwrap();
        assert_eq!(left.iter().map(|e| e.id).collect::<Vec<_>>(), vec![c]);
        let s = stats(&conn).unwrap();
        assert_eq!((s.depth, s.quarantined), (1, 1));
    }

    #[test]
    fn what_remains_after_a_batch_is_counted_from_the_next_event() {
        let conn = crate::db::memory();
        let first = Utc::now() - chrono::Duration::minutes(5);
        let second = Utc::now();
        append(&conn, &fill(1), first).unwrap();
        append(&conn, &fill(2), second).unwrap();
        let (depth, oldest) = remaining_after(&conn, 1).unwrap();
        assert_eq!(depth, 1);
        assert_eq!(oldest.unwrap().timestamp(), second.timestamp());
        assert_eq!(remaining_after(&conn, 2).unwrap(), (0, None));
    }

    #[test]
    fn seq_keeps_growing_after_the_outbox_empties() {
        let mut conn = crate::db::memory();
        let a = append(&conn, &fill(1), Utc::now()).unwrap();
        let first = peek(&mut conn, 1).unwrap()[0].seq;
        settle(&conn, &[a], &[]).unwrap();
        append(&conn, &fill(2), Utc::now()).unwrap();
        assert!(peek(&mut conn, 1).unwrap()[0].seq > first);
    }

    #[test]
    fn a_head_event_is_quarantined_after_the_last_allowed_attempt() {
        let mut conn = crate::db::memory();
        let id = append(&conn, &fill(1), Utc::now()).unwrap();
        assert_eq!(stuck_head(&conn).unwrap(), None, "not refused yet");
        assert!(!fail_head(&mut conn, id, "422", 3).unwrap());
        assert!(!fail_head(&mut conn, id, "422", 3).unwrap());
        assert_eq!(stats(&conn).unwrap().max_attempts, 2);
        let head = stuck_head(&conn).unwrap().unwrap();
        assert_eq!(
            (head.attempts, head.last_error.as_deref()),
            (2, Some("422"))
        );
        assert!(fail_head(&mut conn, id, "422", 3).unwrap());
        let s = stats(&conn).unwrap();
        assert_eq!((s.depth, s.quarantined), (0, 1));
    }

    #[test]
    fn requeued_events_go_back_in_their_place_ahead_of_newer_ones() {
        let mut conn = crate::db::memory();
        let a = append(&conn, &fill(1), Utc::now()).unwrap();
        let b = append(&conn, &fill(2), Utc::now()).unwrap();
        settle(&conn, &[], &[(a, "refused".into())]).unwrap();
        assert_eq!(stats(&conn).unwrap().quarantined, 1);
        assert_eq!(requeue_quarantined(&mut conn).unwrap(), 1);
        let s = stats(&conn).unwrap();
        assert_eq!((s.depth, s.quarantined), (2, 0));
        let ids: Vec<_> = peek(&mut conn, 10).unwrap().iter().map(|e| e.id).collect();
        assert_eq!(ids, [a, b]);
    }

    #[test]
    fn an_undecodable_row_is_quarantined_not_returned() {
        let mut conn = crate::db::memory();
        conn.execute(
            "INSERT INTO outbox (id, at, body) VALUES (?1, ?2, '{\"kind\":\"from_the_future\"}')",
            params![EventId::new().to_string(), Utc::now().to_rfc3339()],
        )
        .unwrap();
        let ok = append(
            &conn,
            &EdgeEventKind::Redeemed {
                booking_id: BookingId::new(),
                lane: Some(1),
                known: true,
            },
            Utc::now(),
        )
        .unwrap();
        let events = peek(&mut conn, 10).unwrap();
        assert_eq!(events.iter().map(|e| e.id).collect::<Vec<_>>(), vec![ok]);
        assert_eq!(stats(&conn).unwrap().quarantined, 1);
    }
}
