//! What an edge's pull reads: its station's change log after a cursor, and the full
//! picture a resync sends.

use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId};
use uuid::Uuid;

use crate::domain::Booking;
use crate::store::booking_rows::{BookingRow, bookings};
use crate::store::changes::{self, ChangePage};
use crate::store::db::{Db, query};
use crate::store::{StoreError, StoreResult};

pub(super) async fn changes_since(
    db: &Db,
    station: StationId,
    since: i64,
    limit: i64,
) -> StoreResult<ChangePage> {
    // IMPORTANT: the entries first, then the floor. The pruner raises the floor and
    // deletes below it in one transaction; read in this order, a page that lost entries
    // to a prune always comes with a floor above `since`, and so becomes a full resync.
    let rows: Vec<(i64, String, Option<Uuid>)> = db
        .fetch_all(
            query(
                "SELECT seq, kind, booking_id FROM station_changes \
                 WHERE station_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            )
            .bind(station)
            .bind(since)
            .bind(limit),
        )
        .await?;
    let (head, floor): (i64, i64) = db
        .fetch_optional(
            query("SELECT change_seq, change_floor FROM stations WHERE id = $1").bind(station),
        )
        .await?
        .ok_or(StoreError::NotFound("station"))?;
    Ok(ChangePage {
        entries: changes::entries(rows)?,
        head,
        floor,
    })
}

pub(super) async fn snapshot(
    db: &Db,
    station: StationId,
    now: DateTime<Utc>,
) -> StoreResult<(Vec<Booking>, Vec<BookingId>)> {
    let live: Vec<BookingRow> = db
        .fetch_all(
            query(
                "SELECT * FROM bookings WHERE station_id = $1 AND status = 'confirmed' \
                 AND valid_until > $2 ORDER BY slot_start",
            )
            .bind(station)
            .bind(now),
        )
        .await?;
    let revoked: Vec<(Uuid,)> = db
        .fetch_all(
            query(
                "SELECT id FROM bookings WHERE station_id = $1 AND status = 'cancelled' \
                 AND valid_until > $2",
            )
            .bind(station)
            .bind(now),
        )
        .await?;
    Ok((
        bookings(live)?,
        revoked.into_iter().map(|(id,)| id.into()).collect(),
    ))
}
