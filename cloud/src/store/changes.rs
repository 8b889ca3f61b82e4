//! The per-station change log edges pull. [`log`] inserts an unnumbered entry inside
//! the caller's transaction (no lock); the sealer (`seal.rs`) numbers committed entries
//! per station, so a cursor never skips an entry that committed late.

use chrono::Utc;
use gasq_shared::{BookingId, StationId};
use uuid::Uuid;

use super::db::{Tx, query};
use super::{StoreError, StoreResult};

/// What changed at a station (the pull renders its state as it is then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Booking(BookingId),
    Station,
    Keys,
}

impl ChangeKind {
    /// The `kind` column, and the booking it names.
    fn columns(self) -> (&'static str, Option<BookingId>) {
        match self {
            Self::Booking(id) => ("booking", Some(id)),
            Self::Station => ("station", None),
            Self::Keys => ("keys", None),
        }
    }

    /// Reads the columns back; `None` for a combination [`Self::columns`] never writes.
    pub(super) fn from_columns(kind: &str, booking: Option<Uuid>) -> Option<Self> {
        match (kind, booking) {
            ("booking", Some(id)) => Some(Self::Booking(id.into())),
            ("station", None) => Some(Self::Station),
            ("keys", None) => Some(Self::Keys),
            _ => None,
        }
    }
}

/// A page of the change log after some cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePage {
    pub entries: Vec<(i64, ChangeKind)>,
    /// The newest change number of the station.
    pub head: i64,
    /// Changes up to here were pruned.
    pub floor: i64,
}

/// Appends `change` to `station`'s change log inside `tx`; the station's held pulls
/// wake when `tx` commits.
pub async fn log(tx: &mut Tx, station: StationId, change: ChangeKind) -> StoreResult<()> {
    let (kind, booking) = change.columns();
    tx.execute(
        query(
            "INSERT INTO station_changes (station_id, kind, booking_id, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(station)
        .bind(kind)
        .bind(booking)
        .bind(Utc::now()),
    )
    .await?;
    tx.station_changed(station).await
}

/// Decodes a page's rows.
pub(super) fn entries(
    rows: Vec<(i64, String, Option<Uuid>)>,
) -> StoreResult<Vec<(i64, ChangeKind)>> {
    rows.into_iter()
        .map(|(seq, kind, booking)| {
            ChangeKind::from_columns(&kind, booking)
                .map(|k| (seq, k))
                .ok_or_else(|| StoreError::corrupt(format!("change {seq} of kind {kind}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_written() {
        let id = BookingId::new();
        for kind in [
            ChangeKind::Booking(id),
            ChangeKind::Station,
            ChangeKind::Keys,
        ] {
            let (name, booking) = kind.columns();
            assert_eq!(
                ChangeKind::from_columns(name, booking.map(|b| b.0)),
                Some(kind)
            );
        }
        assert_eq!(ChangeKind::from_columns("booking", None), None);
    }
}
