//! The agent's writes: redemptions, refusals and everything else it records, each one
//! durable before the caller hears back, each one with its outbox event in the same
//! transaction. After every write the sync loop is woken to push.

use std::sync::Arc;

use chrono::Utc;
use gasq_shared::BookingId;
use gasq_shared::sync::EdgeEventKind;
use gasq_shared::topics::Reason;
use tokio::sync::Notify;

use crate::db::{Db, DbError, kv};
use crate::outbox;
use crate::redemptions::{self, Outcome, Via};

/// Cheap to clone; all clones share the database thread and the wake-up signal.
#[derive(Debug, Clone)]
pub struct Recorder {
    db: Db,
    outbox_changed: Arc<Notify>,
}

impl Recorder {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            outbox_changed: Arc::new(Notify::new()),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Signalled after each write; the sync loop waits on it to push promptly.
    pub fn outbox_changed(&self) -> Arc<Notify> {
        self.outbox_changed.clone()
    }

    /// The redemption decision (see `redemptions::redeem`), durable when this returns.
    pub async fn redeem(
        &self,
        booking: BookingId,
        lane: Option<u16>,
        via: Via,
    ) -> Result<Outcome, DbError> {
        let now = Utc::now();
        let outcome = self
            .db
            .call(move |c| redemptions::redeem(c, booking, lane, via, now))
            .await?;
        self.outbox_changed.notify_one();
        Ok(outcome)
    }

    /// Records a refused scan.
    pub async fn reject(
        &self,
        reason: Reason,
        booking: Option<BookingId>,
        lane: Option<u16>,
    ) -> Result<(), DbError> {
        let now = Utc::now();
        self.db
            .call(move |c| redemptions::reject(c, reason, booking, lane, now))
            .await?;
        self.outbox_changed.notify_one();
        Ok(())
    }

    /// Records any other event.
    pub async fn record(&self, kind: EdgeEventKind) -> Result<(), DbError> {
        let now = Utc::now();
        self.db
            .call(move |c| outbox::append(c, &kind, now).map(|_| ()))
            .await?;
        self.outbox_changed.notify_one();
        Ok(())
    }

    /// Hands out the next walk-in ticket and records the walk-in, in one transaction.
    pub async fn walkin(&self, vehicle: Option<String>) -> Result<u32, DbError> {
        let now = Utc::now();
        let ticket = self
            .db
            .call(move |c| {
                let tx = c.transaction()?;
                let last: u32 = kv::get(&tx, kv::keys::WALKIN_TICKET)?.unwrap_or(0);
                let ticket = last.checked_add(1).unwrap_or(1);
                kv::set(&tx, kv::keys::WALKIN_TICKET, &ticket, now)?;
                outbox::append(&tx, &EdgeEventKind::Walkin { ticket, vehicle }, now)?;
                tx.commit()?;
                Ok(ticket)
            })
            .await?;
        self.outbox_changed.notify_one();
        Ok(ticket)
    }
}
