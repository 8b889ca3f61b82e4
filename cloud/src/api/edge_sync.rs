//! Rendering the change log for an edge, and checking the events it pushes.

use chrono::Utc;
use gasq_shared::sync::{
    Change, ChangesResponse, EdgeEvent, EdgeEventKind, RejectedEvent, StationConfig, SyncedBooking,
};
use gasq_shared::{BookingId, EventId, StationId};

use crate::domain::{Booking, BookingStatus, PaymentMethod, Station};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::ChangeKind;

/// Most events one batch may carry.
pub const MAX_BATCH: usize = 1000;

pub fn config(s: &Station) -> StationConfig {
    StationConfig {
        station_id: s.id,
        code: s.code.clone(),
        name: s.name.clone(),
        timezone: s.timezone.name().to_owned(),
        lanes: s.lanes,
        slot_minutes: s.slot_minutes,
        service_minutes: s.service_minutes,
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

/// The changes since `since`, or the full picture when the cursor is unknown or pruned.
pub async fn changes(
    state: &AppState,
    station_id: StationId,
    since: i64,
) -> ApiResult<ChangesResponse> {
    let limit = state.settings.edge.change_page_size;
    let page = state
        .store
        .changes_since(station_id, since.max(0), limit)
        .await?;
    // IMPORTANT: everything is read after the change log, so a change the page lists is
    // never rendered from a state older than it.
    let station = super::stations::load_station(state, station_id).await?;
    let keys = || async {
        state
            .signer
            .published_now()
            .await
            .map_err(ApiError::internal)
    };
    let now = Utc::now();
    if since <= 0 || since > page.head || since < page.floor {
        let (live, revoked) = state.store.sync_snapshot(station_id, now).await?;
        let mut changes = vec![
            Change::Station {
                config: config(&station),
            },
            Change::Keys {
                keys: keys().await?,
            },
        ];
        changes.extend(live.iter().filter_map(booking_change));
        changes.extend(
            revoked
                .into_iter()
                .map(|booking_id| Change::Revoked { booking_id }),
        );
        // `head` was read before the snapshot: anything newer comes with the next pull.
        return Ok(ChangesResponse {
            full_resync: true,
            changes,
            cursor: page.head,
            more: false,
            server_time: now,
        });
    }
    let cursor = page.entries.last().map_or(since, |(seq, _)| *seq);
    // Each entry is rendered as its current state; repeats within a page collapse.
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
            config: config(&station),
        });
    }
    if keys_changed {
        changes.push(Change::Keys {
            keys: keys().await?,
        });
    }
    let bookings = state.store.bookings_by_ids(&ids).await?;
    changes.extend(
        bookings
            .iter()
            .filter(|b| b.station_id == station_id)
            .filter_map(booking_change),
    );
    Ok(ChangesResponse {
        full_resync: false,
        changes,
        cursor,
        more: cursor < page.head,
        server_time: now,
    })
}

fn check(station: &Station, event: &EdgeEvent) -> Result<(), String> {
    let lane_ok = |lane: u16| {
        if (1..=station.lanes).contains(&lane) {
            Ok(())
        } else {
            Err(format!(
                "lane {lane} does not exist at {} ({} lanes)",
                station.code, station.lanes
            ))
        }
    };
    // What physically happened (a redemption, a fill) is kept whatever its lane number
    // says — the station may have had more lanes when it was recorded offline. Only lane
    // state changes must name a lane the station has.
    match &event.kind {
        EdgeEventKind::LaneFault { lane, .. } | EdgeEventKind::LaneOk { lane } => lane_ok(*lane),
        EdgeEventKind::Fill {
            kg, amount_paise, ..
        } => {
            if !kg.is_finite() || !(0.0..=1000.0).contains(kg) {
                return Err(format!("fill of {kg} kg is not plausible"));
            }
            if amount_paise.is_some_and(|a| a < 0) {
                return Err("a fill amount cannot be negative".into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Splits a pushed batch into events to ingest and events refused for good (which the
/// edge quarantines). A batch that is not `{"events": [...]}` is refused whole.
pub fn parse_events(
    station: &Station,
    body: serde_json::Value,
) -> ApiResult<(Vec<EdgeEvent>, Vec<RejectedEvent>)> {
    let serde_json::Value::Object(mut map) = body else {
        return Err(ApiError::unprocessable(
            "invalid_batch",
            "the body must be {\"events\": [...]}",
        ));
    };
    let Some(serde_json::Value::Array(items)) = map.remove("events") else {
        return Err(ApiError::unprocessable(
            "invalid_batch",
            "the body must be {\"events\": [...]}",
        ));
    };
    if items.len() > MAX_BATCH {
        return Err(ApiError::unprocessable(
            "batch_too_large",
            format!("send at most {MAX_BATCH} events per batch"),
        ));
    }
    let (mut valid, mut rejected) = (Vec::new(), Vec::new());
    for item in items {
        let id: Option<EventId> = item
            .get("id")
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        match serde_json::from_value::<EdgeEvent>(item) {
            Ok(event) => match check(station, &event) {
                Ok(()) => valid.push(event),
                Err(reason) => rejected.push(RejectedEvent {
                    id: event.id,
                    reason,
                }),
            },
            Err(e) => match id {
                Some(id) => rejected.push(RejectedEvent {
                    id,
                    reason: format!("not an event this cloud understands: {e}"),
                }),
                None => {
                    return Err(ApiError::unprocessable(
                        "invalid_batch",
                        format!("an event without a valid id: {e}"),
                    ));
                }
            },
        }
    }
    Ok((valid, rejected))
}
