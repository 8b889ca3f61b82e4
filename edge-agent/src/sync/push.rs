//! Push: send the outbox to the cloud in order, in batches, until it is empty.
//!
//! Acked events leave the outbox; events the cloud names as rejected are quarantined.
//! When the GasQ cloud refuses a whole batch with its own problem code
//! ([`SyncError::Refused`]), some event in it is poison: the batch is halved until the
//! refused prefix is a single event, and that event, once refused `poison_attempts`
//! times, is quarantined — the outbox never blocks forever. Every other failure (the
//! network, 5xx, a proxy's page, an answer of the wrong shape) returns to the caller,
//! which backs off and retries: it says nothing about the events (invariant 9,
//! docs/architecture.md).

use chrono::{DateTime, Utc};
use gasq_shared::EventId;
use gasq_shared::sync::{EdgeEvent, EventBatch, EventsResponse};

use super::client::{CloudClient, Health, SyncError};
use crate::db::{Db, kv};
use crate::outbox;

/// What one push did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Events in batches the cloud answered with 200. `0` means no such exchange took
    /// place (an empty outbox makes no request at all), so it proves no link.
    pub sent: usize,
    pub acked: usize,
    pub quarantined: usize,
    /// When the cloud's last answer was settled (and stored as `last_push_at`).
    pub settled_at: Option<DateTime<Utc>>,
}

/// Pushes until the outbox is empty (or an error the caller must back off from).
pub async fn push(
    client: &CloudClient,
    db: &Db,
    batch_size: usize,
    poison_attempts: u32,
) -> Result<Pushed, SyncError> {
    let full = batch_size.max(1);
    let (mut pushed, mut limit) = (Pushed::default(), full);
    loop {
        let (events, health) = next_batch(db, limit).await?;
        let Some(head) = events.first().map(|e| e.id) else {
            return Ok(pushed);
        };
        let count = events.len();
        match client.push(&EventBatch { events }, &health).await {
            Ok(answer) => {
                settle(db, answer, count, &mut pushed).await?;
                limit = full;
            }
            Err(SyncError::Refused { status, detail, .. }) if count > 1 => {
                tracing::warn!(status, %detail, batch = count, "the cloud refused a batch; narrowing it down");
                limit = count / 2;
            }
            Err(SyncError::Refused {
                status,
                code,
                detail,
            }) => {
                refused_alone(db, head, (status, code, detail), poison_attempts).await?;
                pushed.quarantined += 1;
                limit = full;
            }
            Err(other) => return Err(other),
        }
    }
}

/// The oldest `limit` events, and the outbox's health as it will be once they are acked.
async fn next_batch(db: &Db, limit: usize) -> Result<(Vec<EdgeEvent>, Health), SyncError> {
    let batch = db
        .call(move |c| {
            let events = outbox::peek(c, limit)?;
            let (outbox_depth, oldest_unsent_at) = outbox::remaining_after(c, events.len())?;
            let health = Health {
                outbox_depth,
                oldest_unsent_at,
                quarantined: outbox::quarantined(c)?,
                at: chrono::Utc::now(),
            };
            Ok((events, health))
        })
        .await?;
    Ok(batch)
}

/// Settles a batch of `count` events the cloud answered: the acked leave the outbox, the
/// rejected are quarantined. An answer that settles none of them is a protocol error
/// (pushing on would send the same batch forever).
async fn settle(
    db: &Db,
    answer: EventsResponse,
    count: usize,
    pushed: &mut Pushed,
) -> Result<(), SyncError> {
    let rejected: Vec<_> = answer
        .rejected
        .iter()
        .map(|r| (r.id, r.reason.clone()))
        .collect();
    for r in &rejected {
        tracing::warn!(id = %r.0, reason = %r.1, "the cloud rejected an event; quarantined");
    }
    let acked = answer.acked;
    let (n_acked, n_rejected) = (acked.len(), rejected.len());
    let now = Utc::now();
    // One commit for the batch and the time of the push: each commit is a disk flush
    // the lanes' redemptions may have to wait behind.
    let gone = db
        .call(move |c| {
            let tx = c.transaction()?;
            let gone = outbox::settle(&tx, &acked, &rejected)?;
            if gone > 0 {
                kv::set(&tx, kv::keys::LAST_PUSH_AT, &now, now)?;
            }
            tx.commit()?;
            Ok(gone)
        })
        .await?;
    pushed.sent += count;
    pushed.acked += n_acked;
    pushed.quarantined += n_rejected;
    if gone == 0 {
        return Err(SyncError::Protocol(
            "the cloud acknowledged none of the events it was sent".into(),
        ));
    }
    pushed.settled_at = Some(now);
    Ok(())
}

/// The cloud refused the event at the head of the outbox on its own: counted, and once
/// refused `poison_attempts` times, quarantined (`Ok`). Until then the refusal goes back
/// to the caller, which backs off and tries again.
async fn refused_alone(
    db: &Db,
    head: EventId,
    (status, code, detail): (u16, String, String),
    poison_attempts: u32,
) -> Result<(), SyncError> {
    let why = format!("HTTP {status} {code}: {detail}");
    let gone = db
        .call(move |c| outbox::fail_head(c, head, &why, poison_attempts))
        .await?;
    if !gone {
        return Err(SyncError::Refused {
            status,
            code,
            detail,
        });
    }
    tracing::error!(id = %head, %detail, "quarantined an event the cloud keeps refusing");
    Ok(())
}
