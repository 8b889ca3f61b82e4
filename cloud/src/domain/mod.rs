//! The cloud's rules without I/O: the model, slot capacity and validity windows, short
//! codes, booking limits, login throttling, and the audit log's hash chain.

pub mod actor;
pub mod audit;
pub mod codes;
pub mod geo;
pub mod keypad;
pub mod limits;
pub mod model;
pub mod money;
pub mod queueing;
pub mod slots;
pub mod throttle;

pub use actor::{Actor, Role};
pub use audit::{AuditEntry, AuditRecord};
pub use model::{Booking, BookingStatus, PaymentMethod, Station, UserRecord, Vehicle};
pub use money::MoneyPolicy;
