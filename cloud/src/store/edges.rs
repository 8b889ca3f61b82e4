//! Edge boxes in the store: enrollment codes, devices, the change log's read side,
//! and what station dashboards read. Event ingestion is in `ingest.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gasq_shared::sync::EdgeEvent;
use gasq_shared::{BookingId, DeviceId, StationId};

use super::audit::append_audit;
use super::rows::{self, BookingRow, DeviceRow};
use super::sql::{in_tx, on_pool};
use super::{
    ChangeKind, ChangePage, DayCounts, Device, DeviceHealth, EdgeStore, EnrollOutcome,
    IngestResult, LaneState, NewDevice, NewEnrollmentCode, QueueSample, ReconciliationCase,
    SqlStore, StoreError, StoreResult,
};
use crate::domain::{AuditEntry, Booking, BookingStatus};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

#[async_trait]
impl EdgeStore for SqlStore {
    async fn create_enrollment_code(
        &self,
        c: NewEnrollmentCode,
        audit: AuditEntry,
    ) -> StoreResult<()> {
        in_tx!(self, |tx, pg| {
            sqlx::query(
                "INSERT INTO enrollment_codes (id, secret_hash, station_id, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&c.id)
            .bind(&c.secret_hash)
            .bind(i64::from(c.station_id))
            .bind(c.created_by.map(|u| u.0))
            .bind(c.created_at)
            .bind(c.expires_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| super::sql::conflict_or(e, "enrollment code id collision; try again"))?;
            append_audit!(tx, audit);
        });
        Ok(())
    }

    async fn enroll_device(
        &self,
        code_id: &str,
        secret_hash: &[u8],
        d: NewDevice,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> StoreResult<EnrollOutcome> {
        let outcome = in_tx!(self, |tx, pg| {
            let sql = if pg {
                "SELECT secret_hash, station_id, expires_at, failed_attempts, used_at FROM enrollment_codes WHERE id = $1 FOR UPDATE"
            } else {
                "SELECT secret_hash, station_id, expires_at, failed_attempts, used_at FROM enrollment_codes WHERE id = $1"
            };
            let row: Option<(Vec<u8>, i64, DateTime<Utc>, i32, Option<DateTime<Utc>>)> =
                sqlx::query_as(sql)
                    .bind(code_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((hash, station, expires_at, failed, used_at)) = row else {
                return Ok(EnrollOutcome::Unknown);
            };
            let failed = u32::try_from(failed).unwrap_or(u32::MAX);
            if used_at.is_some() {
                EnrollOutcome::Used
            } else if failed >= max_attempts {
                EnrollOutcome::Burned
            } else if expires_at <= now {
                EnrollOutcome::Expired
            } else if !bool::from(subtle::ConstantTimeEq::ct_eq(hash.as_slice(), secret_hash)) {
                sqlx::query("UPDATE enrollment_codes SET failed_attempts = failed_attempts + 1 WHERE id = $1")
                    .bind(code_id)
                    .execute(&mut *tx)
                    .await?;
                EnrollOutcome::WrongSecret {
                    tries_left: max_attempts.saturating_sub(failed + 1),
                }
            } else {
                sqlx::query(
                    "UPDATE enrollment_codes SET used_at = $2, device_id = $3 WHERE id = $1",
                )
                .bind(code_id)
                .bind(now)
                .bind(d.id.0)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO devices (id, station_id, public_key, hostname, version, attendant_secret_enc, enrolled_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(d.id.0)
                .bind(station)
                .bind(d.public_key.as_slice())
                .bind(&d.hostname)
                .bind(&d.version)
                .bind(&d.attendant_secret_enc)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let audit = AuditEntry {
                    action: "edge.enroll".into(),
                    target: format!("device:{}", d.id),
                    detail: serde_json::json!({ "station_id": station, "code": code_id, "hostname": d.hostname }),
                    ..AuditEntry::default()
                };
                append_audit!(tx, audit);
                EnrollOutcome::Enrolled(StationId::try_from(station).map_err(corrupt)?)
            }
        });
        Ok(outcome)
    }

    async fn device(&self, id: DeviceId) -> StoreResult<Option<Device>> {
        let row: Option<DeviceRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM devices WHERE id = $1")
                .bind(id.0)
                .fetch_optional(p)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    async fn devices_for_station(&self, station: StationId) -> StoreResult<Vec<Device>> {
        let rows: Vec<DeviceRow> = on_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM devices WHERE station_id = $1 ORDER BY enrolled_at")
                .bind(i64::from(station))
                .fetch_all(p)
                .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn attendant_secret_enc(&self, device: DeviceId) -> StoreResult<Option<Vec<u8>>> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT attendant_secret_enc FROM devices WHERE id = $1")
                .bind(device.0)
                .fetch_optional(p)
                .await?
        }))
    }

    async fn record_pull(
        &self,
        device: DeviceId,
        now: DateTime<Utc>,
        cursor: i64,
        h: DeviceHealth,
    ) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query(
                "UPDATE devices SET last_seen_at = $2, last_pull_at = $2, pulled_cursor = $3, \
                 outbox_depth = COALESCE($4, outbox_depth), oldest_unsent_at = $5, \
                 quarantined = COALESCE($6, quarantined) WHERE id = $1",
            )
            .bind(device.0)
            .bind(now)
            .bind(cursor)
            .bind(h.outbox_depth)
            .bind(h.oldest_unsent_at)
            .bind(h.quarantined)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    async fn record_push(
        &self,
        device: DeviceId,
        now: DateTime<Utc>,
        h: DeviceHealth,
    ) -> StoreResult<()> {
        on_pool!(self, |p| {
            sqlx::query(
                "UPDATE devices SET last_seen_at = $2, last_push_at = $2, \
                 outbox_depth = COALESCE($3, outbox_depth), oldest_unsent_at = $4, \
                 quarantined = COALESCE($5, quarantined) WHERE id = $1",
            )
            .bind(device.0)
            .bind(now)
            .bind(h.outbox_depth)
            .bind(h.oldest_unsent_at)
            .bind(h.quarantined)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    async fn seal_changes(&self) -> StoreResult<usize> {
        let stations = self.stations_with_unsealed_changes().await?;
        for station in &stations {
            self.seal_station_changes(*station).await?;
        }
        Ok(stations.len())
    }

    async fn changes_since(
        &self,
        station: StationId,
        since: i64,
        limit: i64,
    ) -> StoreResult<ChangePage> {
        // Seal first, so an edge sees a change as soon as it committed.
        self.seal_station_changes(station).await?;
        let (head, floor, rows) = on_pool!(self, |p| {
            let (head, floor): (i64, i64) =
                sqlx::query_as("SELECT change_seq, change_floor FROM stations WHERE id = $1")
                    .bind(i64::from(station))
                    .fetch_optional(p)
                    .await?
                    .ok_or(StoreError::NotFound("station"))?;
            let rows: Vec<(i64, String, Option<uuid::Uuid>)> = sqlx::query_as(
                "SELECT seq, kind, booking_id FROM station_changes WHERE station_id = $1 AND seq > $2 \
                 ORDER BY seq LIMIT $3",
            )
            .bind(i64::from(station))
            .bind(since)
            .bind(limit)
            .fetch_all(p)
            .await?;
            (head, floor, rows)
        });
        let entries = rows
            .into_iter()
            .map(|(seq, kind, booking)| {
                let kind = match (kind.as_str(), booking) {
                    ("booking", Some(id)) => ChangeKind::Booking(id.into()),
                    ("station", _) => ChangeKind::Station,
                    ("keys", _) => ChangeKind::Keys,
                    _ => return Err(corrupt(format!("change {seq} of kind {kind}"))),
                };
                Ok((seq, kind))
            })
            .collect::<StoreResult<_>>()?;
        Ok(ChangePage {
            entries,
            head,
            floor,
        })
    }

    async fn sync_snapshot(
        &self,
        station: StationId,
        now: DateTime<Utc>,
    ) -> StoreResult<(Vec<Booking>, Vec<BookingId>)> {
        let (live, revoked): (Vec<BookingRow>, Vec<uuid::Uuid>) = on_pool!(self, |p| {
            let live = sqlx::query_as(
                "SELECT * FROM bookings WHERE station_id = $1 AND status = 'confirmed' AND valid_until > $2 ORDER BY slot_start",
            )
            .bind(i64::from(station))
            .bind(now)
            .fetch_all(p)
            .await?;
            let revoked = sqlx::query_scalar(
                "SELECT id FROM bookings WHERE station_id = $1 AND status = 'cancelled' AND valid_until > $2",
            )
            .bind(i64::from(station))
            .bind(now)
            .fetch_all(p)
            .await?;
            (live, revoked)
        });
        Ok((
            rows::bookings(live)?,
            revoked.into_iter().map(Into::into).collect(),
        ))
    }

    async fn bookings_by_ids(&self, ids: &[BookingId]) -> StoreResult<Vec<Booking>> {
        let mut out = Vec::with_capacity(ids.len());
        // Pages are small (hundreds); one indexed lookup each keeps the SQL portable.
        for id in ids {
            if let Some(b) = super::BookingStore::booking(self, *id).await? {
                out.push(b);
            }
        }
        Ok(out)
    }

    async fn ingest_events(
        &self,
        station: StationId,
        device: DeviceId,
        events: Vec<EdgeEvent>,
        now: DateTime<Utc>,
    ) -> StoreResult<IngestResult> {
        self.ingest_batch(station, device, events, now).await
    }

    async fn lanes(&self, station: StationId) -> StoreResult<Vec<LaneState>> {
        let rows: Vec<(i32, bool, Option<String>, DateTime<Utc>)> = on_pool!(self, |p| {
            sqlx::query_as("SELECT lane, up, detail, since FROM station_lanes WHERE station_id = $1 ORDER BY lane")
                .bind(i64::from(station))
                .fetch_all(p)
                .await?
        });
        rows.into_iter()
            .map(|(lane, up, detail, since)| {
                Ok(LaneState {
                    lane: u16::try_from(lane).map_err(|_| corrupt("lane"))?,
                    up,
                    detail,
                    since,
                })
            })
            .collect()
    }

    async fn day_counts(
        &self,
        station: StationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<DayCounts> {
        let sid = i64::from(station);
        let (statuses, fills, rejected, walkins) = on_pool!(self, |p| {
            let statuses: Vec<(String, i64)> = sqlx::query_as(
                "SELECT status, COUNT(*) FROM bookings WHERE station_id = $1 AND slot_start >= $2 AND slot_start < $3 GROUP BY status",
            )
            .bind(sid)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?;
            let fills: (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), SUM(filled_centikg) FROM bookings WHERE station_id = $1 AND completed_at >= $2 AND completed_at < $3",
            )
            .bind(sid)
            .bind(from)
            .bind(to)
            .fetch_one(p)
            .await?;
            let count = |kind: &'static str| {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM edge_events WHERE station_id = $1 AND kind = $2 AND at >= $3 AND at < $4",
                )
                .bind(sid)
                .bind(kind)
                .bind(from)
                .bind(to)
                .fetch_one(p)
            };
            (
                statuses,
                fills,
                count("rejected").await?,
                count("walkin").await?,
            )
        });
        Ok(DayCounts {
            by_status: statuses
                .into_iter()
                .filter_map(|(s, n)| BookingStatus::parse(&s).map(|st| (st, n)))
                .collect(),
            fills: fills.0,
            filled_kg: fills.1.unwrap_or(0) as f64 / 100.0,
            rejected_scans: rejected,
            walkins,
        })
    }

    async fn latest_queue(&self, station: StationId) -> StoreResult<Option<QueueSample>> {
        let row: Option<(String, DateTime<Utc>)> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT body, at FROM edge_events WHERE station_id = $1 AND kind = 'queue' ORDER BY at DESC LIMIT 1",
            )
            .bind(i64::from(station))
            .fetch_optional(p)
            .await?
        });
        Ok(row.and_then(|(body, at)| {
            let v: serde_json::Value = serde_json::from_str(&body).ok()?;
            Some(QueueSample {
                waiting: v["waiting"].as_i64()?,
                lanes_up: v["lanes_up"].as_i64()?,
                at,
            })
        }))
    }

    async fn open_cases(&self, station: StationId) -> StoreResult<Vec<ReconciliationCase>> {
        let rows: Vec<(
            uuid::Uuid,
            Option<uuid::Uuid>,
            String,
            String,
            DateTime<Utc>,
        )> = on_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, booking_id, kind, detail, created_at FROM reconciliation_cases \
                 WHERE station_id = $1 AND resolved_at IS NULL ORDER BY created_at",
            )
            .bind(i64::from(station))
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, booking, kind, detail, created_at)| ReconciliationCase {
                    id,
                    station_id: station,
                    booking_id: booking.map(Into::into),
                    kind,
                    detail,
                    created_at,
                },
            )
            .collect())
    }

    async fn count_events(&self, station: StationId) -> StoreResult<i64> {
        Ok(on_pool!(self, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM edge_events WHERE station_id = $1")
                .bind(i64::from(station))
                .fetch_one(p)
                .await?
        }))
    }
}
