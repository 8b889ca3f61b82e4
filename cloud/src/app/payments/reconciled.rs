//! What a reconciliation run found, and how it raises a case (once per kind and
//! subject: a run that finds the same difference again raises nothing new).

use chrono::{DateTime, Utc};

use super::App;
use crate::store::StoreError;

/// What a reconciliation run found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    /// Payments the gateway has that GasQ had missed (now recorded).
    pub recovered: usize,
    /// New cases raised.
    pub cases: usize,
    /// Refunds whose lost `refund.processed` or `refund.failed` was made good.
    pub refunds_settled: usize,
}

#[allow(clippy::too_many_arguments)] // one case's fields
pub(super) async fn case(
    app: &App,
    found: &mut Reconciled,
    station: i64,
    booking: Option<uuid::Uuid>,
    kind: &str,
    subject: &str,
    detail: String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Ok(station) = gasq_shared::StationId::try_from(station) else {
        return Ok(());
    };
    if app
        .store
        .raise_case(station, booking.map(Into::into), kind, subject, detail, now)
        .await?
    {
        found.cases += 1;
    }
    Ok(())
}
