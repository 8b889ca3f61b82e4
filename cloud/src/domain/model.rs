//! The cloud's domain types, as the store returns them and the API speaks of them.

use chrono::{DateTime, Utc};
use gasq_shared::policy::StationPolicy;
use gasq_shared::{BookingId, Quantity, StationCode, StationId, UserId, VehicleId, VehicleReg};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::actor::Role;

/// A booking's life (contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    PendingPayment,
    Confirmed,
    Redeemed,
    Completed,
    Cancelled,
    Expired,
    NoShow,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 7] = [
        Self::PendingPayment,
        Self::Confirmed,
        Self::Redeemed,
        Self::Completed,
        Self::Cancelled,
        Self::Expired,
        Self::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Confirmed => "confirmed",
            Self::Redeemed => "redeemed",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Live bookings hold capacity in their slot and can still be cancelled.
    pub const LIVE: [BookingStatus; 2] = [Self::PendingPayment, Self::Confirmed];

    pub fn is_live(self) -> bool {
        Self::LIVE.contains(&self)
    }
}

/// How a driver pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Online,
    AtStation,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::AtStation => "at_station",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "online" => Some(Self::Online),
            "at_station" => Some(Self::AtStation),
            _ => None,
        }
    }
}

/// A CNG station: who it is, its booking policy, and what is out of service now.
#[derive(Debug, Clone, PartialEq)]
pub struct Station {
    pub id: StationId,
    pub code: StationCode,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub policy: StationPolicy,
    /// Lanes out of service right now (faults reported by the edge, or set by an admin).
    pub lanes_down: u16,
    pub price_paise_per_kg: i64,
    /// Fill-to-full prepayment and refund policy.
    pub money: super::MoneyPolicy,
    /// Drivers are reminded this many minutes before their slot.
    pub reminder_lead_minutes: u16,
    /// The lane plan opens enough lanes to keep a walk-in's expected wait under this.
    pub wait_target_minutes: u16,
    /// Of the walk-ins the forecast expects in a slot, the share it keeps places for,
    /// percent (0–200; the policy's floor and cap still bound the reserve).
    pub walkin_reserve_share_percent: u16,
    /// Places every slot keeps bookable whatever the walk-in reserve (lanes down
    /// still lower it).
    pub min_bookable_places: u16,
    /// The version of the station's lane-code secret new codes are made under
    /// (docs/architecture.md, "Lane codes").
    pub lane_code_version: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Station {
    pub fn lanes_in_service(&self) -> u16 {
        self.policy.lanes.saturating_sub(self.lanes_down)
    }
}

/// A driver's vehicle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vehicle {
    pub id: VehicleId,
    pub user_id: UserId,
    pub registration: VehicleReg,
    pub created_at: DateTime<Utc>,
}

/// A booking of one slot at one station.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub id: BookingId,
    /// Short code for SMS and the attendant (`K7M2QX9D`).
    pub code: String,
    pub user_id: UserId,
    pub vehicle_id: Option<VehicleId>,
    pub registration: Option<String>,
    pub station_id: StationId,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    pub quantity: Quantity,
    pub payment_method: PaymentMethod,
    pub status: BookingStatus,
    pub amount_paise: Option<i64>,
    /// Which payment provider holds the order (`test_mode`, `razorpay`).
    pub payment_provider: Option<String>,
    pub payment_order_id: Option<String>,
    /// The station's price per kg when the booking was made (kept for its bill).
    pub price_paise_per_kg: Option<i64>,
    /// The gateway payment that confirmed it, and what it paid.
    pub payment_id: Option<String>,
    pub paid_paise: Option<i64>,
    pub paid_at: Option<DateTime<Utc>>,
    /// What the dispenser reported, once the fill reached the cloud.
    pub filled_centikg: Option<u32>,
    /// When the driver answered the reminder "Coming".
    pub coming_at: Option<DateTime<Utc>>,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user account as stored: personal data still encrypted.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub name: String,
    pub email_enc: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub password_hash: String,
    pub role: Role,
    /// The language messages go out in (`en`, `hi`, …).
    pub language: String,
    /// `sms`, `email` or `none`.
    pub notify_by: String,
    pub created_at: DateTime<Utc>,
}
