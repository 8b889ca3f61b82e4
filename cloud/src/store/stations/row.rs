//! A station as its row holds it.

use chrono::{DateTime, Utc};
use gasq_shared::policy::{DayMinute, StationPolicy};
use gasq_shared::{StationCode, StationId};

use crate::domain::{MoneyPolicy, Station};
use crate::store::StoreError;

#[derive(sqlx::FromRow)]
pub(crate) struct StationRow {
    id: i64,
    code: String,
    name: String,
    lat: f64,
    lon: f64,
    lanes: i32,
    lanes_down: i32,
    slot_minutes: i32,
    service_minutes: i32,
    timezone: String,
    open_minute: i32,
    close_minute: i32,
    early_grace_minutes: i32,
    late_grace_minutes: i32,
    walkin_reserve_min: i32,
    walkin_reserve_max_percent: i32,
    price_paise_per_kg: i64,
    fill_to_full_centikg: i32,
    refund_cutoff_minutes: i32,
    cancel_fee_paise: i64,
    reminder_lead_minutes: i32,
    calm_discount_paise_per_kg: i64,
    wait_target_minutes: i32,
    walkin_reserve_share_percent: i32,
    min_bookable_places: i32,
    lane_code_version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn small<T: TryFrom<i32>>(v: i32, what: &str) -> Result<T, StoreError> {
    T::try_from(v).map_err(|_| StoreError::corrupt(format!("{what} {v} out of range")))
}

fn minute(v: i32, what: &str) -> Result<DayMinute, StoreError> {
    DayMinute::from_minutes(small(v, what)?)
        .ok_or_else(|| StoreError::corrupt(format!("{what} {v} out of range")))
}

impl TryFrom<StationRow> for Station {
    type Error = StoreError;
    fn try_from(r: StationRow) -> Result<Self, StoreError> {
        let policy = StationPolicy {
            lanes: small(r.lanes, "lanes")?,
            slot_minutes: small(r.slot_minutes, "slot_minutes")?,
            service_minutes: small(r.service_minutes, "service_minutes")?,
            timezone: r
                .timezone
                .parse()
                .map_err(|_| StoreError::corrupt(format!("time zone {}", r.timezone)))?,
            opens_at: minute(r.open_minute, "open_minute")?,
            closes_at: minute(r.close_minute, "close_minute")?,
            early_grace_minutes: small(r.early_grace_minutes, "early_grace_minutes")?,
            late_grace_minutes: small(r.late_grace_minutes, "late_grace_minutes")?,
            walkin_reserve_min: small(r.walkin_reserve_min, "walkin_reserve_min")?,
            walkin_reserve_max_percent: small(
                r.walkin_reserve_max_percent,
                "walkin_reserve_max_percent",
            )?,
        };
        Ok(Station {
            id: StationId::try_from(r.id).map_err(StoreError::corrupt)?,
            code: StationCode::parse(&r.code).map_err(StoreError::corrupt)?,
            name: r.name,
            lat: r.lat,
            lon: r.lon,
            policy,
            lanes_down: small(r.lanes_down, "lanes_down")?,
            price_paise_per_kg: r.price_paise_per_kg,
            money: MoneyPolicy {
                fill_to_full_centikg: small(r.fill_to_full_centikg, "fill_to_full_centikg")?,
                refund_cutoff_minutes: i64::from(r.refund_cutoff_minutes),
                cancel_fee_paise: r.cancel_fee_paise,
                calm_discount_paise_per_kg: r.calm_discount_paise_per_kg,
            },
            reminder_lead_minutes: small(r.reminder_lead_minutes, "reminder_lead_minutes")?,
            wait_target_minutes: small(r.wait_target_minutes, "wait_target_minutes")?,
            walkin_reserve_share_percent: small(
                r.walkin_reserve_share_percent,
                "walkin_reserve_share_percent",
            )?,
            min_bookable_places: small(r.min_bookable_places, "min_bookable_places")?,
            lane_code_version: u32::try_from(r.lane_code_version)
                .map_err(|_| StoreError::corrupt("lane_code_version out of range"))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
