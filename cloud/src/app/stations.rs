//! Stations: the public list, creation by super admins, policy edits by their admins,
//! and assigning staff.

use std::collections::BTreeMap;

use chrono::Utc;
use gasq_shared::policy::{PolicyChanges, StationPolicy};
use gasq_shared::{StationCode, StationId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access::{self, AccessError};
use super::station_checks::{
    check_min_bookable, check_name, check_position, check_price, check_wait_target,
    check_walkin_share,
};
use super::{App, Invalid};
use crate::domain::{Actor, AuditEntry, Role, Station};
use crate::store::{NewStation, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Exists(String),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("slot_minutes cannot change while bookings on the current grid are ahead")]
    BookingsAhead,
    #[error("the station keeps changing")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, StationError>;

/// What to change of a station; fields left out keep their value.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct StationChanges {
    pub name: Option<String>,
    /// Where it is on the map (give both; a new station takes them at the top level).
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Lanes out of service (lowers capacity at once).
    pub lanes_down: Option<u16>,
    pub price_paise_per_kg: Option<i64>,
    /// What "fill to full" pays up front online, centi-kg (1200 = 12 kg).
    pub fill_to_full_centikg: Option<u16>,
    /// Cancelled at least this many minutes before the slot: refunded in full.
    pub refund_cutoff_minutes: Option<i64>,
    /// Cancelled later (before the slot starts): refunded less this fee, paise.
    pub cancel_fee_paise: Option<i64>,
    /// Off the price per kg in slots the forecast expects to be calm, paise (0 to 2000).
    pub calm_discount_paise_per_kg: Option<i64>,
    /// Drivers are reminded this many minutes before their slot (5 to 1440).
    pub reminder_lead_minutes: Option<u16>,
    /// The lane plan keeps a walk-in's expected wait under this many minutes (1 to 60).
    pub wait_target_minutes: Option<u16>,
    /// Of the walk-ins the forecast expects in a slot, the share to keep places for,
    /// percent (0 to 200; default 100).
    pub walkin_reserve_share_percent: Option<u16>,
    /// Places every slot keeps bookable whatever the walk-in reserve (0 to 1000;
    /// default 1).
    pub min_bookable_places: Option<u16>,
    #[serde(flatten)]
    pub policy: PolicyChanges,
    /// Fields that are not station settings (a typo): refused, named.
    #[serde(flatten, skip_serializing)]
    #[schema(ignore)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// A new station. Everything but code, name, position and lanes has a default:
/// 15-minute slots, 4 service minutes, Asia/Kolkata, open 24 hours, ₹76/kg.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct StationRequest {
    pub code: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(flatten)]
    pub settings: StationChanges,
}

/// The price a station starts with, per kg (₹76.00).
const DEFAULT_PRICE_PAISE_PER_KG: i64 = 7_600;

pub async fn list(app: &App) -> Result<Vec<Station>> {
    Ok(app.store.stations().await?)
}

pub async fn get(app: &App, id: StationId) -> Result<Station> {
    app.store
        .station(id)
        .await?
        .ok_or(StationError::NotFound("station"))
}

/// A station by its id (`42`) or its code (`MUM-0042`), as the CLI takes them.
pub async fn find(app: &App, id_or_code: &str) -> Result<Station> {
    let found = match id_or_code.parse::<StationId>() {
        Ok(id) => app.store.station(id).await?,
        Err(_) => {
            let code = StationCode::parse(id_or_code)
                .map_err(|e| Invalid::new("station", e.to_string()))?;
            app.store.station_by_code(&code).await?
        }
    };
    found.ok_or(StationError::NotFound("station"))
}

/// Creates a station (super admins; the CLI and the demo as the system).
pub async fn create(app: &App, by: Option<&Actor>, req: StationRequest) -> Result<Station> {
    let code = StationCode::parse(&req.code).map_err(|e| Invalid::new("code", e.to_string()))?;
    let (lat, lon) = check_position(req.lat, req.lon)?;
    let s = &req.settings;
    refuse_unknown(s)?;
    let name = check_name(s.name.as_deref().unwrap_or_default())?;
    if s.policy.lanes.is_none() {
        return Err(Invalid::new("lanes", "give the number of lanes (1 to 64)").into());
    }
    let policy = StationPolicy::with_lanes(1)
        .apply(&s.policy)
        .map_err(Invalid::from)?;
    let price = check_price(s.price_paise_per_kg.unwrap_or(DEFAULT_PRICE_PAISE_PER_KG))?;
    let mut money = crate::domain::MoneyPolicy::default();
    money.fill_to_full_centikg = s.fill_to_full_centikg.unwrap_or(money.fill_to_full_centikg);
    money.refund_cutoff_minutes = s
        .refund_cutoff_minutes
        .unwrap_or(money.refund_cutoff_minutes);
    money.cancel_fee_paise = s.cancel_fee_paise.unwrap_or(money.cancel_fee_paise);
    money.calm_discount_paise_per_kg = s
        .calm_discount_paise_per_kg
        .unwrap_or(money.calm_discount_paise_per_kg);
    money
        .check()
        .map_err(|(field, range)| Invalid::new(field, format!("use {range}")))?;
    let detail = serde_json::json!({ "code": code });
    let entry = audit_entry(by, "station.create", String::new(), detail);
    let new = NewStation {
        code,
        name,
        lat,
        lon,
        policy,
        price_paise_per_kg: price,
        money,
        reminder_lead_minutes: match s.reminder_lead_minutes {
            Some(lead) if !(5..=1440).contains(&lead) => {
                return Err(Invalid::new("reminder_lead_minutes", "use 5 to 1440 minutes").into());
            }
            Some(lead) => lead,
            None => 30,
        },
        wait_target_minutes: check_wait_target(s.wait_target_minutes.unwrap_or(5))?,
        walkin_reserve_share_percent: check_walkin_share(
            s.walkin_reserve_share_percent.unwrap_or(100),
        )?,
        min_bookable_places: check_min_bookable(s.min_bookable_places.unwrap_or(1))?,
    };
    app.store
        .create_station(new, entry)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => StationError::Exists(m),
            other => other.into(),
        })
}

/// An audit entry by `by`, or by the system when there is nobody.
fn audit_entry(
    by: Option<&Actor>,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> AuditEntry {
    match by {
        Some(actor) => actor.audit(action, target, detail),
        None => AuditEntry {
            action: action.into(),
            target,
            detail,
            ..AuditEntry::default()
        },
    }
}

fn refuse_unknown(changes: &StationChanges) -> Result<()> {
    match changes.unknown.keys().next() {
        Some(field) => Err(Invalid::new(field.clone(), "not a station setting").into()),
        None => Ok(()),
    }
}

/// The station with `changes` applied, each checked.
fn changed(before: &Station, c: &StationChanges) -> std::result::Result<Station, Invalid> {
    let mut s = before.clone();
    if let Some(name) = &c.name {
        s.name = check_name(name)?;
    }
    match (c.lat, c.lon) {
        (None, None) => {}
        (Some(lat), Some(lon)) => (s.lat, s.lon) = check_position(lat, lon)?,
        _ => return Err(Invalid::new("lat", "give lat and lon together")),
    }
    s.policy = before.policy.apply(&c.policy)?;
    s.lanes_down = c.lanes_down.unwrap_or(s.lanes_down);
    if s.lanes_down > s.policy.lanes {
        return Err(Invalid::new(
            "lanes_down",
            "cannot exceed the number of lanes",
        ));
    }
    if let Some(price) = c.price_paise_per_kg {
        s.price_paise_per_kg = check_price(price)?;
    }
    let m = &mut s.money;
    m.fill_to_full_centikg = c.fill_to_full_centikg.unwrap_or(m.fill_to_full_centikg);
    m.refund_cutoff_minutes = c.refund_cutoff_minutes.unwrap_or(m.refund_cutoff_minutes);
    m.cancel_fee_paise = c.cancel_fee_paise.unwrap_or(m.cancel_fee_paise);
    m.calm_discount_paise_per_kg = c
        .calm_discount_paise_per_kg
        .unwrap_or(m.calm_discount_paise_per_kg);
    m.check()
        .map_err(|(field, range)| Invalid::new(field, format!("use {range}")))?;
    if let Some(lead) = c.reminder_lead_minutes {
        if !(5..=1440).contains(&lead) {
            return Err(Invalid::new(
                "reminder_lead_minutes",
                "use 5 to 1440 minutes",
            ));
        }
        s.reminder_lead_minutes = lead;
    }
    if let Some(target) = c.wait_target_minutes {
        s.wait_target_minutes = check_wait_target(target)?;
    }
    if let Some(share) = c.walkin_reserve_share_percent {
        s.walkin_reserve_share_percent = check_walkin_share(share)?;
    }
    if let Some(floor) = c.min_bookable_places {
        s.min_bookable_places = check_min_bookable(floor)?;
    }
    Ok(s)
}

/// Changes a station's settings (its station admins, or super admins).
pub async fn update(
    app: &App,
    staff: &Actor,
    id: StationId,
    changes: StationChanges,
) -> Result<Station> {
    access::require_station(app, staff, id).await?;
    change(app, Some(staff), id, changes).await
}

/// Changes a station's settings as the system (the demo seeding), audited as such.
pub async fn update_as_system(
    app: &App,
    id: StationId,
    changes: StationChanges,
) -> Result<Station> {
    change(app, None, id, changes).await
}

async fn change(
    app: &App,
    by: Option<&Actor>,
    id: StationId,
    changes: StationChanges,
) -> Result<Station> {
    refuse_unknown(&changes)?;
    // Optimistic: re-read and re-apply if the edge (a lane fault) or another admin
    // changed the station between our read and our write.
    for _ in 0..3 {
        let before = get(app, id).await?;
        let s = changed(&before, &changes)?;
        if s.policy.slot_minutes != before.policy.slot_minutes
            && app.store.live_bookings_ahead(id, Utc::now()).await? > 0
        {
            return Err(StationError::BookingsAhead);
        }
        let entry = audit_entry(
            by,
            "station.update",
            format!("station:{id}"),
            serde_json::json!({
                "name": s.name, "lat": s.lat, "lon": s.lon,
                "policy": s.policy, "lanes_down": s.lanes_down,
                "price_paise_per_kg": s.price_paise_per_kg, "money": s.money,
            }),
        );
        match app.store.update_station(&s, before.updated_at, entry).await {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StationError::Busy)
}

/// Assigns a station admin or technician to a station (super admins).
pub async fn assign_staff(
    app: &App,
    admin: &Actor,
    station: StationId,
    user: UserId,
) -> Result<()> {
    get(app, station).await?;
    let user = app
        .store
        .user(user)
        .await?
        .ok_or(StationError::NotFound("user"))?;
    if !matches!(user.role, Role::StationAdmin | Role::Technician) {
        return Err(Invalid::new(
            "user_id",
            "only station admins and technicians are assigned to stations",
        )
        .into());
    }
    let entry = admin.audit(
        "station.assign_staff",
        format!("station:{station}"),
        serde_json::json!({ "user_id": user.id }),
    );
    Ok(app.store.assign_station(user.id, station, entry).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_setting_is_kept_aside_to_be_refused_by_name() {
        let changes: StationChanges =
            serde_json::from_str(r#"{"lane": 3, "opens_at": "06:00", "name": "X"}"#).unwrap();
        assert_eq!(changes.unknown.keys().collect::<Vec<_>>(), ["lane"]);
        assert_eq!(changes.name.as_deref(), Some("X"));
        assert_eq!(changes.policy.opens_at.map(|t| t.minutes()), Some(360));
        let refused = refuse_unknown(&changes);
        assert!(
            matches!(&refused, Err(StationError::Invalid(i)) if i.field == "lane"),
            "{refused:?}"
        );
    }

    #[test]
    fn a_new_station_takes_its_settings_beside_code_and_position() {
        let req: StationRequest = serde_json::from_str(
            r#"{"code": "MUM-0001", "name": "A", "lat": 19.0, "lon": 72.8, "lanes": 4, "slot_minutes": 10}"#,
        )
        .unwrap();
        assert_eq!(req.code, "MUM-0001");
        assert_eq!(req.settings.policy.lanes, Some(4));
        assert_eq!(req.settings.policy.slot_minutes, Some(10));
        assert!(
            req.settings.unknown.is_empty(),
            "{:?}",
            req.settings.unknown
        );
    }
}
