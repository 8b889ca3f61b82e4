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
use super::stations::resize_future_slots;
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

/// Records a lane going down or up (ignoring reports older than the lane's last),
/// recomputes the station's lanes in service and re-sizes its future slots.
macro_rules! apply_lane {
    ($tx:ident, $pg:ident, $sid:expr, $device:expr, $lane:expr, $up:expr, $detail:expr, $at:expr, $now:expr) => {{
        let changed = sqlx::query(
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
        .rows_affected();
        if changed > 0 {
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
            // A lane fault lowers bookable capacity at once.
            resize_future_slots!($tx, $sid, slots::capacity(&station, 0), $now);
            sqlx::query("UPDATE stations SET lanes_down = $2, updated_at = $3 WHERE id = $1")
                .bind($sid)
                .bind(i32::from(station.lanes_down))
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            log_change!($tx, $sid, "station", None::<uuid::Uuid>);
            let action = if $up { "lane.up" } else { "lane.fault" };
            let entry = device_audit($device, action, format!("station:{}/lane:{}", $sid, $lane),
                serde_json::json!({ "detail": $detail, "at": $at }));
            append_audit!($tx, $pg, entry);
        }
    }};
}

impl SqlStore {
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
                match event.kind {
                    EdgeEventKind::Redeemed {
                        booking_id,
                        lane,
                        known,
                    } => {
                        let lane = lane.map(i32::from);
                        let updated = sqlx::query(
                            "UPDATE bookings SET status = 'redeemed', redeemed_at = $3, redeemed_lane = $4, updated_at = $5 \
                             WHERE id = $1 AND station_id = $2 AND status IN ('confirmed', 'no_show')",
                        )
                        .bind(booking_id.0)
                        .bind(sid)
                        .bind(event.at)
                        .bind(lane)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if updated == 0 {
                            let found: Option<(i64, String, String)> = sqlx::query_as(
                                "SELECT station_id, status, payment_method FROM bookings WHERE id = $1",
                            )
                            .bind(booking_id.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                            match found {
                                None => {
                                    let detail = format!(
                                        "the edge redeemed booking {booking_id}, which the cloud does not know"
                                    );
                                    raise_case!(
                                        tx,
                                        sid,
                                        Some(booking_id.0),
                                        "unknown_booking",
                                        detail,
                                        now
                                    );
                                }
                                Some((other, _, _)) if other != sid => {
                                    let detail = format!(
                                        "booking {booking_id} belongs to station {other} but was redeemed here"
                                    );
                                    raise_case!(
                                        tx,
                                        sid,
                                        Some(booking_id.0),
                                        "wrong_station",
                                        detail,
                                        now
                                    );
                                }
                                Some((_, status, method))
                                    if matches!(
                                        status.as_str(),
                                        "cancelled" | "expired" | "pending_payment"
                                    ) =>
                                {
                                    // The lane wins: the vehicle was fuelled.
                                    sqlx::query(
                                        "UPDATE bookings SET status = 'redeemed', redeemed_at = $2, redeemed_lane = $3, updated_at = $4 WHERE id = $1",
                                    )
                                    .bind(booking_id.0)
                                    .bind(event.at)
                                    .bind(lane)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                                    let detail = format!(
                                        "booking {booking_id} was redeemed at lane {} while the cloud had it {status} (paid {method}): check whether a refund went out and recover or waive it",
                                        lane.map_or("?".to_owned(), |l| l.to_string())
                                    );
                                    raise_case!(
                                        tx,
                                        sid,
                                        Some(booking_id.0),
                                        "redeemed_after_cancel",
                                        detail,
                                        now
                                    );
                                }
                                Some(_) => {} // already redeemed or completed: nothing new
                            }
                        }
                        let entry = device_audit(
                            device,
                            "booking.redeemed",
                            format!("booking:{booking_id}"),
                            serde_json::json!({ "lane": lane, "known": known, "at": event.at }),
                        );
                        append_audit!(tx, pg, entry);
                    }
                    EdgeEventKind::Fill {
                        booking_id: Some(booking_id),
                        kg,
                        amount_paise,
                        ..
                    } => {
                        let centikg = (kg * 100.0).round().clamp(0.0, f64::from(i32::MAX)) as i32;
                        let updated = sqlx::query(
                            "UPDATE bookings SET status = 'completed', completed_at = $3, filled_centikg = $4, \
                             fill_amount_paise = $5, updated_at = $6 WHERE id = $1 AND station_id = $2 AND status = 'redeemed'",
                        )
                        .bind(booking_id.0)
                        .bind(sid)
                        .bind(event.at)
                        .bind(centikg)
                        .bind(amount_paise)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if updated > 0 {
                            let entry = device_audit(
                                device,
                                "booking.completed",
                                format!("booking:{booking_id}"),
                                serde_json::json!({ "kg": kg, "amount_paise": amount_paise }),
                            );
                            append_audit!(tx, pg, entry);
                        }
                    }
                    EdgeEventKind::LaneFault { lane, detail } => {
                        apply_lane!(tx, pg, sid, device, lane, false, detail, event.at, now);
                    }
                    EdgeEventKind::LaneOk { lane } => {
                        apply_lane!(
                            tx,
                            pg,
                            sid,
                            device,
                            lane,
                            true,
                            None::<String>,
                            event.at,
                            now
                        );
                    }
                    _ => {}
                }
            }
            result
        });
        Ok(result)
    }
}
