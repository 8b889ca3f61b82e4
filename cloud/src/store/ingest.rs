//! Ingesting what edges recorded (invariant 3): each event is inserted under its
//! edge-made id, so a retried batch counts once; a new event's effects are applied in
//! the same transaction. A physical redemption at the lane always wins: if the cloud
//! had cancelled the booking meanwhile, the booking is still marked redeemed and a
//! reconciliation case is raised for the station admin.

use chrono::{DateTime, Utc};
use gasq_shared::sync::{EdgeEvent, EdgeEventKind};
use gasq_shared::{DeviceId, StationId};

use super::audit::append_audit;
use super::changes::log_change;
use super::sql::in_tx;
use super::stations::resize_open_slots;
use super::{IngestResult, SqlStore, StoreError, StoreResult};
use crate::domain::{AuditEntry, slots};

fn kind_name(kind: &EdgeEventKind) -> &'static str {
    match kind {
        EdgeEventKind::Redeemed { .. } => "redeemed",
        EdgeEventKind::Rejected { .. } => "rejected",
        EdgeEventKind::Fill { .. } => "fill",
        EdgeEventKind::LaneFault { .. } => "lane_fault",
        EdgeEventKind::LaneOk { .. } => "lane_ok",
        EdgeEventKind::Walkin { .. } => "walkin",
        EdgeEventKind::Queue { .. } => "queue",
    }
}

fn device_audit(
    device: DeviceId,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        actor_id: Some(gasq_shared::UserId(device.0)),
        actor_role: None,
        action: action.to_owned(),
        target,
        ip: None,
        detail,
    }
}

/// Raises a reconciliation case inside transaction `$tx`.
macro_rules! raise_case {
    ($tx:ident, $station:expr, $booking:expr, $kind:expr, $detail:expr, $now:expr) => {{
        sqlx::query(
            "INSERT INTO reconciliation_cases (id, station_id, booking_id, kind, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind($station)
        .bind($booking)
        .bind($kind)
        .bind($detail)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Applies a redemption at the lane. The lane wins: whatever the cloud thought of the
/// booking, it is now redeemed; anything surprising becomes a reconciliation case.
macro_rules! redeem {
    ($tx:ident, $sid:expr, $booking:expr, $lane:expr, $at:expr, $now:expr) => {{
        let found: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT station_id, status, payment_method FROM bookings WHERE id = $1",
        )
        .bind($booking)
        .fetch_optional(&mut *$tx)
        .await?;
        let lane_text = $lane.map_or("?".to_owned(), |l: i32| l.to_string());
        match found {
            None => {
                let detail = format!("the edge redeemed booking {}, which the cloud does not know", $booking);
                raise_case!($tx, $sid, Some($booking), "unknown_booking", detail, $now);
            }
            Some((other, _, _)) if other != $sid => {
                let detail = format!("booking {} belongs to station {other} but was redeemed here", $booking);
                raise_case!($tx, $sid, Some($booking), "wrong_station", detail, $now);
            }
            Some((_, status, method)) if matches!(status.as_str(), "redeemed" | "completed") => {
                // A second redemption event: two boxes of one station each accepted it.
                let detail = format!(
                    "booking {} was redeemed again at lane {lane_text} (it was already {status}, paid {method}): one vehicle may have been fuelled twice",
                    $booking
                );
                raise_case!($tx, $sid, Some($booking), "redeemed_twice", detail, $now);
            }
            Some((_, status, method)) => {
                sqlx::query(
                    "UPDATE bookings SET status = 'redeemed', redeemed_at = $2, redeemed_lane = $3, updated_at = $4 WHERE id = $1",
                )
                .bind($booking)
                .bind($at)
                .bind($lane)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
                if matches!(status.as_str(), "cancelled" | "expired" | "pending_payment" | "no_show") {
                    let detail = format!(
                        "booking {} was redeemed at lane {lane_text} while the cloud had it {status} (paid {method}): check whether a refund went out and recover or waive it",
                        $booking
                    );
                    raise_case!($tx, $sid, Some($booking), "redeemed_after_cancel", detail, $now);
                }
            }
        }
    }};
}

/// Records a lane going down or up, unless the lane's last report is newer or says the
/// same; evaluates to whether anything changed.
macro_rules! set_lane {
    ($tx:ident, $sid:expr, $lane:expr, $up:expr, $detail:expr, $at:expr) => {{
        sqlx::query(
            "INSERT INTO station_lanes (station_id, lane, up, detail, since) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (station_id, lane) DO UPDATE SET up = excluded.up, detail = excluded.detail, since = excluded.since \
             WHERE station_lanes.since <= excluded.since AND station_lanes.up <> excluded.up",
        )
        .bind($sid)
        .bind(i32::from($lane))
        .bind($up)
        .bind(&$detail)
        .bind($at)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            > 0
    }};
}

/// Recomputes a station's lanes in service from its lane states and re-sizes its
/// current and future slots: a lane fault lowers bookable capacity at once.
macro_rules! recompute_lanes {
    ($tx:ident, $sid:expr, $now:expr) => {{
        let row: super::rows::StationRow = sqlx::query_as("SELECT * FROM stations WHERE id = $1")
            .bind($sid)
            .fetch_one(&mut *$tx)
            .await?;
        let mut station: crate::domain::Station = row.try_into()?;
        let down: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM station_lanes WHERE station_id = $1 AND up = FALSE AND lane <= $2",
        )
        .bind($sid)
        .bind(i32::from(station.lanes))
        .fetch_one(&mut *$tx)
        .await?;
        station.lanes_down = u16::try_from(down).unwrap_or(station.lanes);
        resize_open_slots!($tx, $sid, slots::capacity(&station, 0), $now, station.slot_minutes);
        sqlx::query("UPDATE stations SET lanes_down = $2, updated_at = $3 WHERE id = $1")
            .bind($sid)
            .bind(i32::from(station.lanes_down))
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        log_change!($tx, $sid, "station", None::<uuid::Uuid>);
    }};
}

/// A new event's effect, applied after all events of the batch are recorded.
enum Effect {
    Redeemed {
        booking: uuid::Uuid,
        lane: Option<i32>,
        known: bool,
        at: DateTime<Utc>,
    },
    Fill {
        booking: uuid::Uuid,
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

impl SqlStore {
    /// IMPORTANT: lock order. Effects are applied in phases — booking rows, then lane
    /// and slot rows and the station row, then the audit head — the order every other
    /// writer keeps, so ingestion never deadlocks with bookings or cancellations.
    pub(super) async fn ingest_batch(
        &self,
        station: StationId,
        device: DeviceId,
        events: Vec<EdgeEvent>,
        now: DateTime<Utc>,
    ) -> StoreResult<IngestResult> {
        let sid = i64::from(station);
        let result = in_tx!(self, |tx, pg| {
            let mut result = IngestResult::default();
            let mut effects = Vec::new();
            for event in events {
                let body = serde_json::to_string(&event.kind)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let inserted = sqlx::query(
                    "INSERT INTO edge_events (id, station_id, device_id, edge_seq, at, kind, body, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
                )
                .bind(event.id.0)
                .bind(sid)
                .bind(device.0)
                .bind(event.seq)
                .bind(event.at)
                .bind(kind_name(&event.kind))
                .bind(&body)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                result.acked.push(event.id);
                if inserted == 0 {
                    continue; // seen before: its effects were applied then
                }
                result.new += 1;
                let at = event.at;
                effects.push(match event.kind {
                    EdgeEventKind::Redeemed {
                        booking_id,
                        lane,
                        known,
                    } => Effect::Redeemed {
                        booking: booking_id.0,
                        lane: lane.map(i32::from),
                        known,
                        at,
                    },
                    EdgeEventKind::Fill {
                        booking_id: Some(b),
                        kg,
                        amount_paise,
                        ..
                    } => Effect::Fill {
                        booking: b.0,
                        kg,
                        amount_paise,
                        at,
                    },
                    EdgeEventKind::LaneFault { lane, detail } => Effect::Lane {
                        lane,
                        up: false,
                        detail,
                        at,
                    },
                    EdgeEventKind::LaneOk { lane } => Effect::Lane {
                        lane,
                        up: true,
                        detail: None,
                        at,
                    },
                    _ => continue,
                });
            }
            let mut audits = Vec::new();
            // Phase 1: bookings, in event order.
            for effect in &effects {
                match effect {
                    Effect::Redeemed {
                        booking,
                        lane,
                        known,
                        at,
                    } => {
                        redeem!(tx, sid, *booking, *lane, *at, now);
                        audits.push(device_audit(
                            device,
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
                        let centikg = (kg * 100.0).round().clamp(0.0, f64::from(i32::MAX)) as i32;
                        let updated = sqlx::query(
                            "UPDATE bookings SET status = 'completed', completed_at = $3, filled_centikg = $4, \
                             fill_amount_paise = $5, updated_at = $6 WHERE id = $1 AND station_id = $2 AND status = 'redeemed'",
                        )
                        .bind(booking)
                        .bind(sid)
                        .bind(at)
                        .bind(centikg)
                        .bind(amount_paise)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if updated > 0 {
                            audits.push(device_audit(
                                device,
                                "booking.completed",
                                format!("booking:{booking}"),
                                serde_json::json!({ "kg": kg, "amount_paise": amount_paise }),
                            ));
                        }
                    }
                    Effect::Lane { .. } => {}
                }
            }
            // Phase 2: lanes, then one re-size of the station.
            let mut lanes_changed = false;
            for effect in &effects {
                let Effect::Lane {
                    lane,
                    up,
                    detail,
                    at,
                } = effect
                else {
                    continue;
                };
                if set_lane!(tx, sid, *lane, *up, detail, *at) {
                    lanes_changed = true;
                    let action = if *up { "lane.up" } else { "lane.fault" };
                    audits.push(device_audit(
                        device,
                        action,
                        format!("station:{sid}/lane:{lane}"),
                        serde_json::json!({ "detail": detail, "at": at }),
                    ));
                }
            }
            if lanes_changed {
                recompute_lanes!(tx, sid, now);
            }
            // Phase 3: the audit chain, last.
            for entry in &audits {
                append_audit!(tx, entry);
            }
            result
        });
        Ok(result)
    }
}
