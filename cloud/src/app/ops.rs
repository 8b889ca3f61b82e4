//! What operations ask of the cloud: is the database there, and how many bookings are
//! in each state (for `/metrics`).

use super::App;
use crate::domain::BookingStatus;
use crate::store::StoreError;

/// The database answers.
pub async fn ready(app: &App) -> Result<(), StoreError> {
    app.store.ping().await
}

pub async fn bookings_by_status(app: &App) -> Result<Vec<(BookingStatus, i64)>, StoreError> {
    app.store.count_bookings_by_status().await
}
