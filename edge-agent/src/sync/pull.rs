//! Pull: ask the cloud for the change log since our cursor and apply each page in one
//! transaction together with the new cursor, so a crash between pages resumes exactly
//! where it stopped. A full resync replaces the cached bookings and revocations (never
//! our own redemptions: a physical redemption at the lane always stands).

use chrono::{DateTime, Utc};
use gasq_shared::sync::{Change, ChangesResponse, StationConfig, SyncedBooking};
use gasq_shared::token::KeySet;
use rusqlite::{Connection, params};

use super::client::{CloudClient, Health, SyncError};
use crate::db::{Db, DbError, kv};

/// A cloud that keeps saying `more` forever is broken; stop after this many pages.
const MAX_PAGES: usize = 10_000;

/// What a page changed that the running agent must pick up.
#[derive(Debug, Default)]
pub struct Applied {
    pub keys: Option<KeySet>,
    pub station: Option<StationConfig>,
    pub changes: usize,
}

/// Applies one page of changes and the new cursor, in one transaction.
pub fn apply(
    conn: &mut Connection,
    page: &ChangesResponse,
    skew_ms: i64,
    now: DateTime<Utc>,
) -> Result<Applied, DbError> {
    let tx = conn.transaction()?;
    if page.full_resync {
        tx.execute("DELETE FROM bookings", [])?;
        tx.execute("DELETE FROM revocations", [])?;
    }
    let mut applied = Applied {
        changes: page.changes.len(),
        ..Applied::default()
    };
    for change in &page.changes {
        match change {
            Change::Booking { booking } => upsert_booking(&tx, booking)?,
            Change::Revoked { booking_id } => {
                tx.execute(
                    "INSERT OR IGNORE INTO revocations (booking_id, synced_at) VALUES (?1, ?2)",
                    params![booking_id.to_string(), now.to_rfc3339()],
                )?;
            }
            Change::Keys { keys } => match keys.key_set() {
                Ok(set) => {
                    kv::set(&tx, kv::keys::TOKEN_KEYS, keys, now)?;
                    applied.keys = Some(set);
                }
                // Keep the keys we have rather than stop syncing over one bad entry.
                Err(e) => {
                    tracing::error!(error = %e, "the cloud sent an unusable key set; keeping the current one")
                }
            },
            Change::Station {
                config,
                lane_code_secrets,
            } => {
                kv::set(&tx, kv::keys::STATION, config, now)?;
                // A cloud that sends none (an older one) leaves the secrets we have.
                if !lane_code_secrets.is_empty() {
                    kv::set(&tx, kv::keys::LANE_CODE_SECRETS, lane_code_secrets, now)?;
                }
                applied.station = Some(config.clone());
            }
        }
    }
    kv::set(&tx, kv::keys::CURSOR, &page.cursor, now)?;
    kv::set(&tx, kv::keys::CLOCK_SKEW_MS, &skew_ms, now)?;
    tx.commit()?;
    Ok(applied)
}

fn upsert_booking(conn: &Connection, b: &SyncedBooking) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO bookings (id, code, vehicle, slot_start, slot_end, valid_from_unix,
                               valid_until_unix, quantity_centikg, prepaid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET code = excluded.code, vehicle = excluded.vehicle,
             slot_start = excluded.slot_start, slot_end = excluded.slot_end,
             valid_from_unix = excluded.valid_from_unix,
             valid_until_unix = excluded.valid_until_unix,
             quantity_centikg = excluded.quantity_centikg, prepaid = excluded.prepaid",
        params![
            b.id.to_string(),
            b.code,
            b.vehicle,
            b.slot_start.to_rfc3339(),
            b.slot_end.to_rfc3339(),
            b.valid_from.timestamp(),
            b.valid_until.timestamp(),
            b.quantity_centikg,
            b.prepaid
        ],
    )?;
    Ok(())
}

/// Forgets bookings whose window closed more than a week ago (the cache stays small;
/// redemptions are kept).
pub fn prune(conn: &Connection, now: DateTime<Utc>) -> Result<usize, DbError> {
    let cutoff = now.timestamp() - 7 * 24 * 3600;
    Ok(conn.execute("DELETE FROM bookings WHERE valid_until_unix < ?1", [cutoff])?)
}

/// The result of pulling until the cloud has nothing more.
#[derive(Debug, Default)]
pub struct Pulled {
    pub pages: usize,
    pub changes: usize,
    pub skew_ms: i64,
    pub keys: Option<KeySet>,
    pub station: Option<StationConfig>,
}

/// A request held longer than this was waiting in the cloud: its answer left the cloud
/// at the end of the round trip, not in its middle.
const HELD: std::time::Duration = std::time::Duration::from_secs(2);

/// Cloud clock minus ours, from an answer stamped `server_time` to a request sent at
/// `sent` and answered at `received`.
fn skew_ms(server_time: DateTime<Utc>, sent: DateTime<Utc>, received: DateTime<Utc>) -> i64 {
    let round_trip = received - sent;
    let answered = if round_trip.to_std().unwrap_or_default() > HELD {
        received
    } else {
        // The server read its clock somewhere in the round trip: assume the middle.
        sent + round_trip / 2
    };
    (server_time - answered).num_milliseconds()
}

/// Pulls every page since the stored cursor; the first waits up to `wait` in the cloud
/// for a change (a long poll).
pub async fn pull(
    client: &CloudClient,
    db: &Db,
    wait: std::time::Duration,
) -> Result<Pulled, SyncError> {
    let mut pulled = Pulled::default();
    loop {
        let (since, health): (i64, Health) = db
            .call(|c| {
                let cursor = kv::get(c, kv::keys::CURSOR)?.unwrap_or(0);
                Ok((cursor, Health::from(&crate::outbox::stats(c)?)))
            })
            .await?;
        let sent = Utc::now();
        let page = client.changes(since, wait, &health).await?;
        let received = Utc::now();
        let skew_ms = skew_ms(page.server_time, sent, received);
        let more = page.more;
        if more && page.changes.is_empty() && page.cursor == since {
            return Err(SyncError::Protocol(
                "the cloud says more changes wait but sends none".into(),
            ));
        }
        let applied = db.call(move |c| apply(c, &page, skew_ms, received)).await?;
        pulled.pages += 1;
        pulled.changes += applied.changes;
        pulled.skew_ms = skew_ms;
        pulled.keys = applied.keys.or(pulled.keys);
        pulled.station = applied.station.or(pulled.station);
        if !more || pulled.pages >= MAX_PAGES {
            return Ok(pulled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gasq_shared::BookingId;

    fn booking(id: BookingId) -> SyncedBooking {
        let now = Utc::now();
        SyncedBooking {
            id,
            code: "K7Q2".into(),
            vehicle: Some("MH12AB1234".into()),
            slot_start: now,
            slot_end: now,
            valid_from: now,
            valid_until: now,
            quantity_centikg: 0,
            prepaid: true,
        }
    }

    fn page(full_resync: bool, cursor: i64, changes: Vec<Change>) -> ChangesResponse {
        ChangesResponse {
            full_resync,
            changes,
            cursor,
            more: false,
            server_time: Utc::now(),
        }
    }

    fn count(conn: &Connection, table: &str) -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_page_and_its_cursor_land_together() {
        let mut conn = crate::db::memory();
        let b = BookingId::new();
        let p = page(
            false,
            7,
            vec![Change::Booking {
                booking: booking(b),
            }],
        );
        apply(&mut conn, &p, 0, Utc::now()).unwrap();
        assert_eq!(count(&conn, "bookings"), 1);
        assert_eq!(kv::get::<i64>(&conn, kv::keys::CURSOR).unwrap(), Some(7));
        // The same booking again updates, never duplicates.
        apply(&mut conn, &p, 0, Utc::now()).unwrap();
        assert_eq!(count(&conn, "bookings"), 1);
    }

    #[test]
    fn a_full_resync_replaces_the_cache_but_keeps_redemptions() {
        let mut conn = crate::db::memory();
        let old = BookingId::new();
        let redeemed = BookingId::new();
        let p = page(
            false,
            3,
            vec![
                Change::Booking {
                    booking: booking(old),
                },
                Change::Revoked { booking_id: old },
            ],
        );
        apply(&mut conn, &p, 0, Utc::now()).unwrap();
        crate::redemptions::redeem(
            &mut conn,
            redeemed,
            Some(1),
            crate::redemptions::Via::Scan,
            Utc::now(),
        )
        .unwrap();
        let fresh = BookingId::new();
        let resync = page(
            true,
            10,
            vec![Change::Booking {
                booking: booking(fresh),
            }],
        );
        apply(&mut conn, &resync, 0, Utc::now()).unwrap();
        assert_eq!(count(&conn, "bookings"), 1);
        assert_eq!(count(&conn, "revocations"), 0);
        assert!(crate::redemptions::is_redeemed(&conn, redeemed).unwrap());
    }

    #[test]
    fn a_bad_key_set_is_skipped_not_fatal() {
        let mut conn = crate::db::memory();
        let bad = gasq_shared::keys::TokenKeys {
            keys: vec![gasq_shared::keys::TokenKey {
                kid: 1,
                alg: "Ed25519".into(),
                public_key: "nope".into(),
                status: gasq_shared::keys::KeyStatus::Active,
                signing: true,
            }],
        };
        let p = page(false, 2, vec![Change::Keys { keys: bad }]);
        let applied = apply(&mut conn, &p, 0, Utc::now()).unwrap();
        assert!(applied.keys.is_none());
        assert_eq!(kv::get::<i64>(&conn, kv::keys::CURSOR).unwrap(), Some(2));
    }
}
