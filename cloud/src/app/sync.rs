//! An edge's pull: its station's changes since its cursor, rendered as their current
//! state — or the full picture when the cursor is unknown or was pruned. With nothing
//! new, a pull may wait in the cloud until something is (a long poll: invariant 10 in
//! docs/architecture.md).

use std::time::Duration;

use chrono::{DateTime, Utc};
use gasq_shared::sync::{Change, ChangesResponse, StationConfig, SyncedBooking};
use gasq_shared::{BookingId, StationId};

use super::App;
use super::lanecodes;
use super::stations::{self, StationError};
use crate::domain::{Booking, BookingStatus, PaymentMethod, Station};
use crate::signing::SigningError;
use crate::store::{ChangeKind, ChangePage, Device, DeviceHealth, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The device was revoked while its pull was held.
    #[error("this device was revoked: enroll the box again with a new code")]
    Revoked,
    #[error(transparent)]
    Station(#[from] StationError),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, SyncError>;

/// The station as its edges need it.
pub fn station_config(s: &Station) -> StationConfig {
    StationConfig {
        station_id: s.id,
        code: s.code.clone(),
        name: s.name.clone(),
        policy: s.policy.clone(),
    }
}

fn synced(b: &Booking) -> SyncedBooking {
    SyncedBooking {
        id: b.id,
        code: b.code.clone(),
        vehicle: b.registration.clone(),
        slot_start: b.slot_start,
        slot_end: b.slot_end,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
        quantity_centikg: b.quantity.centikg(),
        prepaid: b.payment_method == PaymentMethod::Online,
    }
}

/// What a booking's current state means to an edge.
fn booking_change(b: &Booking) -> Option<Change> {
    match b.status {
        BookingStatus::Confirmed => Some(Change::Booking { booking: synced(b) }),
        BookingStatus::Cancelled | BookingStatus::Expired => {
            Some(Change::Revoked { booking_id: b.id })
        }
        // Redeemed, completed, no-show, pending: nothing for the lane to act on.
        _ => None,
    }
}

/// The longest a pull is held: under the usual 30 s idle timeouts of proxies and load
/// balancers, so a held pull is never cut by the road to the cloud.
pub const MAX_WAIT: Duration = Duration::from_secs(25);

/// `device` pulls the changes after `since`, reporting its `health`. When there are
/// none, the answer waits up to `wait` (at most [`MAX_WAIT`]) for the first one.
pub async fn pull(
    app: &App,
    device: &Device,
    since: i64,
    wait: Duration,
    health: DeviceHealth,
) -> Result<ChangesResponse> {
    let station = device.station_id;
    let deadline = tokio::time::Instant::now() + wait.min(MAX_WAIT);
    let mut held = false;
    let answer = loop {
        // Taken before reading, so a change committed meanwhile still wakes us.
        let mut signal = app.store.change_signal(station);
        let answer = changes(app, station, since).await?;
        let news = answer.full_resync || answer.cursor != since || !answer.changes.is_empty();
        if news || tokio::time::Instant::now() >= deadline {
            break answer;
        }
        if !held {
            // While held, the edge is current (any change answers it at once): the
            // dashboard sees the pull and the health it reported from now, not only
            // when the hold ends.
            app.store
                .record_pull(device.id, Utc::now(), answer.cursor, health)
                .await?;
            held = true;
        }
        // Woken or out of time, the log is read once more: the answer is never older
        // than the moment it is sent.
        tokio::select! {
            woken = signal.changed() => {
                if woken.is_err() {
                    break answer;
                }
                // A revocation wakes the station too: the box hears of it now, not
                // when its hold ends.
                let current = app.store.device(device.id).await?;
                if current.is_none_or(|d| d.revoked_at.is_some()) {
                    return Err(SyncError::Revoked);
                }
            }
            () = tokio::time::sleep_until(deadline) => {}
            () = app.stopping.cancelled() => break answer,
        }
    };
    app.store
        .record_pull(device.id, Utc::now(), answer.cursor, health)
        .await?;
    Ok(answer)
}

/// The changes of `station` since `since`, or the full picture when the cursor is
/// unknown or pruned.
pub async fn changes(app: &App, station_id: StationId, since: i64) -> Result<ChangesResponse> {
    let limit = app.settings.edge.change_page_size;
    let page = app
        .store
        .changes_since(station_id, since.max(0), limit)
        .await?;
    // IMPORTANT: everything is read after the change log, so a change the page lists is
    // never rendered from a state older than it.
    let station = stations::get(app, station_id).await?;
    let now = Utc::now();
    if since <= 0 || since > page.head || since < page.floor {
        return full_resync(app, &station, page.head, now).await;
    }
    let cursor = page.entries.last().map_or(since, |(seq, _)| *seq);
    Ok(ChangesResponse {
        full_resync: false,
        changes: render(app, &station, &page).await?,
        cursor,
        more: cursor < page.head,
        server_time: now,
    })
}

/// The complete picture: station, keys, live bookings and revocations still inside
/// their window. `head` was read before the snapshot: anything newer comes with the
/// next pull.
async fn full_resync(
    app: &App,
    station: &Station,
    head: i64,
    now: DateTime<Utc>,
) -> Result<ChangesResponse> {
    let (live, revoked) = app.store.sync_snapshot(station.id, now).await?;
    let mut changes = vec![
        Change::Station {
            config: station_config(station),
            lane_code_secrets: lanecodes::edge_secrets(app, station),
        },
        Change::Keys {
            keys: app.signer.published_now().await?,
        },
    ];
    changes.extend(live.iter().filter_map(booking_change));
    changes.extend(
        revoked
            .into_iter()
            .map(|booking_id| Change::Revoked { booking_id }),
    );
    Ok(ChangesResponse {
        full_resync: true,
        changes,
        cursor: head,
        more: false,
        server_time: now,
    })
}

/// Each entry of a page as its current state; repeats within a page collapse.
async fn render(app: &App, station: &Station, page: &ChangePage) -> Result<Vec<Change>> {
    let mut ids: Vec<BookingId> = Vec::new();
    let (mut station_changed, mut keys_changed) = (false, false);
    for (_, kind) in &page.entries {
        match kind {
            ChangeKind::Booking(id) if !ids.contains(id) => ids.push(*id),
            ChangeKind::Booking(_) => {}
            ChangeKind::Station => station_changed = true,
            ChangeKind::Keys => keys_changed = true,
        }
    }
    let mut changes = Vec::new();
    if station_changed {
        changes.push(Change::Station {
            config: station_config(station),
            lane_code_secrets: lanecodes::edge_secrets(app, station),
        });
    }
    if keys_changed {
        changes.push(Change::Keys {
            keys: app.signer.published_now().await?,
        });
    }
    let bookings = app.store.bookings_by_ids(&ids).await?;
    changes.extend(
        bookings
            .iter()
            .filter(|b| b.station_id == station.id)
            .filter_map(booking_change),
    );
    Ok(changes)
}
