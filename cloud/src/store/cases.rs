//! Reconciliation cases: what the cloud cannot square by itself, for the station admin.
//! Written inside the transaction of whatever found the difference.

use chrono::{DateTime, Utc};
use gasq_shared::{BookingId, StationId};

use super::StoreResult;
use super::db::{Tx, query};

/// Raises a case. With a `subject` (a payment id, a refund id), a case of this kind is
/// raised once for it however often the difference is found again; returns whether
/// this raised one.
pub(crate) async fn raise(
    tx: &mut Tx,
    station: StationId,
    booking: Option<BookingId>,
    kind: &str,
    subject: Option<&str>,
    detail: String,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let raised = tx
        .execute(
            query(
                "INSERT INTO reconciliation_cases (id, station_id, booking_id, kind, subject, detail, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(station)
            .bind(booking)
            .bind(kind)
            .bind(subject)
            .bind(detail)
            .bind(now),
        )
        .await?;
    if raised > 0 {
        tracing::warn!(%station, kind, "reconciliation case raised");
    }
    Ok(raised > 0)
}
