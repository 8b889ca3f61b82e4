//! A slot's places: taken by a booking, freed when it is cancelled or its hold lapses.
//!
//! IMPORTANT: invariant 1 (docs/architecture.md) lives here. The database takes a place
//! only if one is free: the first booking of a slot creates its row holding one place
//! (when the slot has any), later ones raise `held` only while it is below capacity.
//! Concurrent bookings of a slot serialise on its row — the app never reads, then writes.

use chrono::{DateTime, Utc};
use gasq_shared::StationId;

use crate::store::StoreResult;
use crate::store::db::{Tx, query};

/// Takes one place of the slot if one is free under `capacity`; returns whether it did.
/// The first booking of a slot sizes it: `capacity`, and the walk-ins the forecast
/// expected (`forecast_walkins`), which later re-sizes keep room for.
pub(crate) async fn take(
    tx: &mut Tx,
    station: StationId,
    slot_start: DateTime<Utc>,
    (capacity, forecast_walkins): (u32, u32),
) -> StoreResult<bool> {
    if capacity == 0 {
        return Ok(false);
    }
    let taken = tx
        .execute(
            query(
                "INSERT INTO slot_loads (station_id, slot_start, capacity, held, forecast_walkins) \
                 VALUES ($1, $2, $3, 1, $4) \
                 ON CONFLICT (station_id, slot_start) DO UPDATE SET held = slot_loads.held + 1 \
                 WHERE slot_loads.held < slot_loads.capacity",
            )
            .bind(station)
            .bind(slot_start)
            .bind(i32::try_from(capacity).unwrap_or(i32::MAX))
            .bind(i32::try_from(forecast_walkins).unwrap_or(i32::MAX)),
        )
        .await?;
    Ok(taken > 0)
}

/// Frees the place a live booking held.
pub(crate) async fn release(
    tx: &mut Tx,
    station: StationId,
    slot_start: DateTime<Utc>,
) -> StoreResult<()> {
    tx.execute(
        query(
            "UPDATE slot_loads SET held = held - 1 \
             WHERE station_id = $1 AND slot_start = $2 AND held > 0",
        )
        .bind(station)
        .bind(slot_start),
    )
    .await?;
    Ok(())
}
