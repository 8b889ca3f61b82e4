//! Persistence. [`Store`] is the sum of one trait per area, each with one method per use
//! case; [`SqlStore`] implements them all once for both backends (PostgreSQL for
//! production, SQLite as the embedded default), on the [`db`] layer that runs each
//! statement on whichever backend the database URL named.
//!
//! Each area's trait, its types and its implementation live together in its module.
//! Statements that several areas write inside their own transactions — the audit log
//! ([`audit::append`]), the station change log ([`changes::log`]) — are plain
//! functions over a [`db::Tx`].

pub mod audit;
pub(crate) mod booking_rows;
pub mod bookings;
pub(crate) mod cases;
pub mod changes;
pub mod db;
pub mod edges;
mod error;
pub mod ingest;
pub mod keys;
pub mod ledger;
pub mod notifications;
pub(crate) mod offers;
pub mod payments;
pub(crate) mod places;
mod prune;
mod seal;
pub mod sms;
pub mod stations;
pub mod users;
pub mod vehicles;
pub mod waitlist;

use async_trait::async_trait;

pub use audit::{AuditFilter, AuditRecord, AuditStore};
pub use bookings::{
    BookingMove, BookingStore, Cancelled, CreateBooking, IDEMPOTENCY_KEY_TTL_HOURS, IdempotencyKey,
    NewBooking,
};
pub use changes::{ChangeKind, ChangePage};
pub use db::{Backend, Db};
pub use edges::{
    DayCounts, DemandHistory, Device, DeviceHealth, EdgeStore, EnrollOutcome, LaneState, NewDevice,
    NewEnrollmentCode, QueueSample, ReconciliationCase,
};
pub use error::{StoreError, StoreResult};
pub use ingest::{IngestResult, ReceivedEvent};
pub use keys::{KeyStore, SigningKeyRecord};
pub use ledger::{LedgerEntry, LedgerKind};
pub use notifications::{Claimed, Notice, NotificationStore, NotificationView};
pub use payments::test_gateway::TestGatewayStore;
pub use payments::{
    KnownPayment, PaymentOutcome, PaymentSeen, PaymentSource, PaymentStore, PriceChange, RefundJob,
    RefundNews, RefundReason, RefundRecord,
};
pub use prune::PruneStore;
pub use seal::SealStore;
pub use sms::SmsStore;
pub use stations::{NewStation, SlotLoad, StationStore};
pub use users::{NewRefreshToken, NewUser, RefreshOutcome, UserStore};
pub use vehicles::VehicleStore;
pub use waitlist::{Accepted, Joined, WaitEntry, WaitlistStore};

/// Everything the cloud persists.
#[async_trait]
pub trait Store:
    UserStore
    + VehicleStore
    + StationStore
    + BookingStore
    + KeyStore
    + AuditStore
    + EdgeStore
    + SealStore
    + PruneStore
    + PaymentStore
    + NotificationStore
    + SmsStore
    + WaitlistStore
    + TestGatewayStore
{
    fn backend(&self) -> Backend;
    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.backend())
    }
}

/// The store over a PostgreSQL or SQLite database.
#[derive(Debug, Clone)]
pub struct SqlStore {
    db: Db,
}

impl SqlStore {
    /// Connects by URL scheme (`postgres://`, `postgresql://` or `sqlite:`) and runs
    /// the backend's migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        Ok(Self {
            db: Db::connect(url, max_connections).await?,
        })
    }

    pub async fn close(&self) {
        self.db.close().await;
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.db.backend()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.execute(db::query("SELECT 1")).await?;
        Ok(())
    }
}
