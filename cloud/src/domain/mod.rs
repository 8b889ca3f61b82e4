//! Booking rules without I/O: the model, slot capacity, validity windows, short codes.

pub mod codes;
pub mod model;
pub mod slots;

pub use model::{
    AuditEntry, Booking, BookingStatus, PaymentMethod, Role, Station, UserRecord, Vehicle,
};
