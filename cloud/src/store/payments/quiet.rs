//! Refunds still on their way (`sent`): those reconciliation should ask the gateway
//! about, and noting that it asked.

use chrono::{DateTime, Utc};
use gasq_shared::StationId;
use uuid::Uuid;

use super::SentRefund;
use crate::store::db::{Db, query};
use crate::store::{StoreError, StoreResult};

pub(super) async fn sent_before(
    db: &Db,
    before: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<SentRefund>> {
    let q = query(
        "SELECT booking_id, station_id, payment_id, gateway_refund_id, amount_paise, created_at, \
         updated_at FROM refunds WHERE status = 'sent' AND gateway_refund_id IS NOT NULL \
         AND updated_at < $1 ORDER BY updated_at LIMIT $2",
    )
    .bind(before)
    .bind(limit);
    type Row = (Uuid, i64, String, String, i64, DateTime<Utc>, DateTime<Utc>);
    let rows: Vec<Row> = db.fetch_all(q).await?;
    rows.into_iter()
        .map(
            |(booking, station, payment, refund, amount, requested, checked)| {
                Ok(SentRefund {
                    booking_id: booking.into(),
                    station_id: StationId::try_from(station).map_err(StoreError::corrupt)?,
                    payment_id: payment,
                    gateway_refund_id: refund,
                    amount_paise: amount,
                    requested_at: requested,
                    checked_at: checked,
                })
            },
        )
        .collect()
}

/// Notes that reconciliation asked about a refund still on its way (it goes to the
/// back of the queue of refunds to ask about).
pub(super) async fn checked(
    db: &Db,
    gateway_refund_id: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let q = query(
        "UPDATE refunds SET updated_at = $2 WHERE gateway_refund_id = $1 AND status = 'sent'",
    )
    .bind(gateway_refund_id)
    .bind(now);
    db.execute(q).await?;
    Ok(())
}
