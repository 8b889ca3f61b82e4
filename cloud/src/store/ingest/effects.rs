//! What a new edge event changes in the cloud: a redemption or a fill moves its
//! booking on; a lane fault or recovery changes the station's lanes in service and so
//! the capacity of its open slots. A physical redemption at the lane always wins: if
//! the cloud had cancelled the booking meanwhile, it is still marked redeemed and a
//! reconciliation case is raised for the station admin.

use chrono::{DateTime, Utc};
use gasq_shared::sync::{EdgeEvent, EdgeEventKind};
use gasq_shared::{BookingId, StationId};

use crate::domain::{AuditEntry, Booking, BookingStatus};
use crate::store::booking_rows::BookingRow;
use crate::store::changes::{self, ChangeKind};
use crate::store::db::{Tx, query};
use crate::store::stations::{lanes, resize_open_slots, station_in};
use crate::store::{StoreError, StoreResult, cases, notifications, payments};

/// A new event's effect, applied after all events of the batch are recorded.
pub(super) enum Effect {
    Redeemed {
        booking: BookingId,
        lane: Option<u16>,
        known: bool,
        at: DateTime<Utc>,
    },
    Fill {
        booking: BookingId,
        kg: f64,
        amount_paise: Option<i64>,
        at: DateTime<Utc>,
    },
    Lane {
        lane: u16,
        up: bool,
        detail: Option<String>,
        at: DateTime<Utc>,
    },
}

impl Effect {
    /// The effect of `event`, if it has one beyond being counted.
    pub(super) fn of(event: EdgeEvent) -> Option<Self> {
        let at = event.at;
        Some(match event.kind {
            EdgeEventKind::Redeemed {
                booking_id,
                lane,
                known,
            } => Self::Redeemed {
                booking: booking_id,
                lane,
                known,
                at,
            },
            EdgeEventKind::Fill {
                booking_id: Some(booking),
                kg,
                amount_paise,
                ..
            } => Self::Fill {
                booking,
                kg,
                amount_paise,
                at,
            },
            EdgeEventKind::LaneFault { lane, detail } => Self::Lane {
                lane,
                up: false,
                detail,
                at,
            },
            EdgeEventKind::LaneOk { lane } => Self::Lane {
                lane,
                up: true,
                detail: None,
                at,
            },
            _ => return None,
        })
    }
}

/// Phase 1: redemptions and fills, in event order. Returns their audit entries.
pub(super) async fn apply_to_bookings(
    tx: &mut Tx,
    station: StationId,
    effects: &[Effect],
    now: DateTime<Utc>,
) -> StoreResult<Vec<AuditEntry>> {
    let mut audits = Vec::new();
    for effect in effects {
        match effect {
            Effect::Redeemed {
                booking,
                lane,
                known,
                at,
            } => {
                redeem(tx, station, *booking, *lane, *at, now).await?;
                audits.push(entry(
                    "booking.redeemed",
                    format!("booking:{booking}"),
                    serde_json::json!({ "lane": lane, "known": known, "at": at }),
                ));
            }
            Effect::Fill {
                booking,
                kg,
                amount_paise,
                at,
            } => {
                if complete(tx, station, *booking, *kg, *amount_paise, *at, now).await? {
                    audits.push(entry(
                        "booking.completed",
                        format!("booking:{booking}"),
                        serde_json::json!({ "kg": kg, "amount_paise": amount_paise }),
                    ));
                }
            }
            Effect::Lane { .. } => {}
        }
    }
    Ok(audits)
}

/// Phase 2: lane states, then one re-size of the station. Returns their audit entries.
pub(super) async fn apply_to_lanes(
    tx: &mut Tx,
    station: StationId,
    effects: &[Effect],
    now: DateTime<Utc>,
) -> StoreResult<Vec<AuditEntry>> {
    let mut audits = Vec::new();
    // When the lanes changed, for their history: the edge's clock of the last change
    // (an offline edge reports late), never the future.
    let mut changed_at = None;
    for effect in effects {
        let Effect::Lane {
            lane,
            up,
            detail,
            at,
        } = effect
        else {
            continue;
        };
        if set_lane(tx, station, *lane, *up, detail.as_deref(), *at).await? {
            let action = if *up { "lane.up" } else { "lane.fault" };
            changed_at = changed_at.max(Some((*at).min(now)));
            audits.push(entry(
                action,
                format!("station:{station}/lane:{lane}"),
                serde_json::json!({ "detail": detail, "at": at }),
            ));
        }
    }
    if let Some(changed_at) = changed_at {
        recompute_lanes(tx, station, now, changed_at).await?;
    }
    Ok(audits)
}

/// An audit entry of the edge (the ingest adds which device).
fn entry(action: &str, target: String, detail: serde_json::Value) -> AuditEntry {
    AuditEntry {
        action: action.to_owned(),
        target,
        detail,
        ..AuditEntry::default()
    }
}

/// How old a redemption may be for its driver to be told "your turn: lane N".
const YOUR_TURN_FRESH_MINUTES: i64 = 10;

/// What the cloud knew of a booking when the lane redeemed it.
#[derive(sqlx::FromRow)]
struct Known {
    station_id: i64,
    status: String,
    payment_method: String,
}

/// Applies a redemption at the lane. The lane wins: whatever the cloud thought of the
/// booking, it is now redeemed; anything surprising becomes a reconciliation case.
async fn redeem(
    tx: &mut Tx,
    station: StationId,
    booking: BookingId,
    lane: Option<u16>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let found: Option<Known> = tx
        .fetch_optional(
            query("SELECT station_id, status, payment_method FROM bookings WHERE id = $1")
                .bind(booking),
        )
        .await?;
    let lane_text = lane.map_or("?".to_owned(), |l| l.to_string());
    let Some(known) = found else {
        let detail = format!("the edge redeemed booking {booking}, which the cloud does not know");
        return raise_case(tx, station, booking, "unknown_booking", detail, now).await;
    };
    let (status, method) = (known.status.as_str(), known.payment_method.as_str());
    if known.station_id != i64::from(station) {
        let detail = format!(
            "booking {booking} belongs to station {} but was redeemed here",
            known.station_id
        );
        return raise_case(tx, station, booking, "wrong_station", detail, now).await;
    }
    if matches!(status, "redeemed" | "completed") {
        // A second redemption event: two boxes of one station each accepted it.
        let detail = format!(
            "booking {booking} was redeemed again at lane {lane_text} (it was already {status}, \
             paid {method}): one vehicle may have been fuelled twice"
        );
        return raise_case(tx, station, booking, "redeemed_twice", detail, now).await;
    }
    tx.execute(
        query(
            "UPDATE bookings SET status = 'redeemed', redeemed_at = $2, redeemed_lane = $3, \
             updated_at = $4 WHERE id = $1",
        )
        .bind(booking)
        .bind(at)
        .bind(lane)
        .bind(now),
    )
    .await?;
    // "Your turn: lane N" — while it is news (an edge syncing after hours offline has
    // nothing to tell the driver any more).
    if let Some(lane) = lane
        && status == BookingStatus::Confirmed.as_str()
        && now - at < chrono::Duration::minutes(YOUR_TURN_FRESH_MINUTES)
    {
        let row: BookingRow = tx
            .fetch_one(query("SELECT * FROM bookings WHERE id = $1").bind(booking))
            .await?;
        let b = Booking::try_from(row)?;
        let notice =
            notifications::about(&b, "your-turn", serde_json::json!({ "lane": lane }), now);
        notifications::enqueue(tx, &notice, now).await?;
    }
    if status != BookingStatus::Confirmed.as_str() {
        // Cancelled, expired, still pending payment, or already a no-show.
        let detail = format!(
            "booking {booking} was redeemed at lane {lane_text} while the cloud had it {status} \
             (paid {method}): check whether a refund went out and recover or waive it"
        );
        raise_case(tx, station, booking, "redeemed_after_cancel", detail, now).await?;
    }
    Ok(())
}

/// Completes a redeemed booking with its fill; returns whether it did.
async fn complete(
    tx: &mut Tx,
    station: StationId,
    booking: BookingId,
    kg: f64,
    amount_paise: Option<i64>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let centikg = (kg * 100.0).round().clamp(0.0, f64::from(i32::MAX)) as i32;
    let updated = tx
        .execute(
            query(
                "UPDATE bookings SET status = 'completed', completed_at = $3, filled_centikg = $4, \
                 fill_amount_paise = $5, updated_at = $6 \
                 WHERE id = $1 AND station_id = $2 AND status = 'redeemed'",
            )
            .bind(booking)
            .bind(station)
            .bind(at)
            .bind(centikg)
            .bind(amount_paise)
            .bind(now),
        )
        .await?;
    if updated > 0 {
        // The fill settles the bill: the unused prepayment goes back (once).
        payments::settle_fill(tx, station, booking, centikg, amount_paise, now).await?;
    }
    Ok(updated > 0)
}

/// Raises a reconciliation case for the station admin about `booking`.
async fn raise_case(
    tx: &mut Tx,
    station: StationId,
    booking: BookingId,
    kind: &str,
    detail: String,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    cases::raise(tx, station, Some(booking), kind, None, detail, now).await?;
    Ok(())
}

/// Records a lane going down or up, unless the lane's last report is newer or says the
/// same; returns whether anything changed.
async fn set_lane(
    tx: &mut Tx,
    station: StationId,
    lane: u16,
    up: bool,
    detail: Option<&str>,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let changed = tx
        .execute(
            query(
                "INSERT INTO station_lanes (station_id, lane, up, detail, since) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (station_id, lane) DO UPDATE SET up = excluded.up, detail = excluded.detail, \
                 since = excluded.since \
                 WHERE station_lanes.since <= excluded.since AND station_lanes.up <> excluded.up",
            )
            .bind(station)
            .bind(lane)
            .bind(up)
            .bind(detail)
            .bind(at),
        )
        .await?;
    Ok(changed > 0)
}

/// Recomputes a station's lanes in service from its lane states and re-sizes its
/// current and future slots: a lane fault lowers bookable capacity at once.
async fn recompute_lanes(
    tx: &mut Tx,
    station: StationId,
    now: DateTime<Utc>,
    changed_at: DateTime<Utc>,
) -> StoreResult<()> {
    let mut s = station_in(tx, station)
        .await?
        .ok_or(StoreError::NotFound("station"))?;
    let (down,): (i64,) = tx
        .fetch_one(
            query(
                "SELECT COUNT(*) FROM station_lanes WHERE station_id = $1 AND up = FALSE AND lane <= $2",
            )
            .bind(station)
            .bind(s.policy.lanes),
        )
        .await?;
    let before = s.lanes_in_service();
    s.lanes_down = u16::try_from(down).unwrap_or(s.policy.lanes);
    resize_open_slots(tx, &s, now).await?;
    lanes::record(tx, station, before, s.lanes_in_service(), changed_at).await?;
    tx.execute(
        query("UPDATE stations SET lanes_down = $2, updated_at = $3 WHERE id = $1")
            .bind(station)
            .bind(s.lanes_down)
            .bind(now),
    )
    .await?;
    changes::log(tx, station, ChangeKind::Station).await
}
