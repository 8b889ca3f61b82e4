//! Who may act on which station: super admins everywhere, station admins and
//! technicians where they are assigned, drivers nowhere. Routes check roles; these
//! checks add the station.

use gasq_shared::StationId;

use super::App;
use crate::domain::{Actor, Role};
use crate::store::StoreError;

/// The actor may not act on this station.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("you are not assigned to station {0}")]
    NotAssigned(StationId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `actor` works at `station`.
pub async fn works_at(app: &App, actor: &Actor, station: StationId) -> Result<bool, StoreError> {
    Ok(match actor.role {
        Role::SuperAdmin => true,
        Role::Driver => false,
        Role::StationAdmin | Role::Technician => {
            app.store.user_stations(actor.id).await?.contains(&station)
        }
    })
}

/// Whether `actor` administers `station`'s bookings and policy (its station admins and
/// super admins, not technicians).
pub async fn administers(app: &App, actor: &Actor, station: StationId) -> Result<bool, StoreError> {
    Ok(matches!(actor.role, Role::StationAdmin | Role::SuperAdmin)
        && works_at(app, actor, station).await?)
}

/// `NotAssigned` unless [`works_at`].
pub async fn require_station(
    app: &App,
    actor: &Actor,
    station: StationId,
) -> Result<(), AccessError> {
    if works_at(app, actor, station).await? {
        Ok(())
    } else {
        Err(AccessError::NotAssigned(station))
    }
}
