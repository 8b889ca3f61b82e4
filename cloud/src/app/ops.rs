//! What operations ask of the cloud: is the database there, and how many bookings are
//! in each state (for `/metrics`).

use super::App;
use crate::domain::BookingStatus;
use crate::store::StoreError;

/// The cloud cannot serve now.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("the database does not answer: {0}")]
    Database(StoreError),
}

/// The database answers.
pub async fn ready(app: &App) -> Result<(), NotReady> {
    app.store.ping().await.map_err(NotReady::Database)
}

pub async fn bookings_by_status(app: &App) -> Result<Vec<(BookingStatus, i64)>, StoreError> {
    app.store.count_bookings_by_status().await
}
