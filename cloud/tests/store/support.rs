//! What the store tests share: stations, users and bookings to arrange with.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use gasq_cloud::domain::limits::Limits;
use gasq_cloud::domain::{AuditEntry, BookingStatus, PaymentMethod, Role, Station, Vehicle};
use gasq_cloud::store::{IdempotencyKey, NewBooking, NewStation, NewUser, Store};
use gasq_shared::lanecode;
use gasq_shared::policy::StationPolicy;
use gasq_shared::{BookingId, Quantity, StationCode, StationId, UserId, VehicleId, VehicleReg};

pub fn audit(action: &str) -> AuditEntry {
    AuditEntry {
        action: action.into(),
        target: "test".into(),
        ..AuditEntry::default()
    }
}

/// A new station with GasQ's default policy and `lanes` lanes.
pub fn new_station(code: &str, lanes: u16) -> NewStation {
    NewStation {
        code: StationCode::parse(code).unwrap(),
        name: format!("Station {code}"),
        lat: 19.07,
        lon: 72.87,
        policy: StationPolicy::with_lanes(lanes),
        price_paise_per_kg: 7_600,
        money: Default::default(),
        reminder_lead_minutes: 30,
        wait_target_minutes: 5,
        walkin_reserve_share_percent: 100,
        min_bookable_places: 1,
    }
}

pub async fn station(store: &Arc<dyn Store>, code: &str, lanes: u16) -> Station {
    store
        .create_station(new_station(code, lanes), audit("station.create"))
        .await
        .unwrap()
}

/// A station whose slots hold one vehicle each (one lane, 15 minutes a vehicle).
pub async fn one_place_station(store: &Arc<dyn Store>, code: &str) -> Station {
    let mut new = new_station(code, 1);
    new.policy.service_minutes = 15;
    store
        .create_station(new, audit("station.create"))
        .await
        .unwrap()
}

pub async fn user(store: &Arc<dyn Store>, tag: &str) -> UserId {
    let u = NewUser {
        id: UserId::new(),
        name: tag.into(),
        email_enc: tag.as_bytes().to_vec(),
        email_hash: format!("email:{tag}").into_bytes(),
        phone_enc: None,
        phone_hash: None,
        password_hash: "x".into(),
        role: Role::Driver,
        created_at: Utc::now(),
    };
    store
        .create_user(u, audit("user.register"))
        .await
        .unwrap()
        .id
}

pub fn next_slot() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(2)
}

/// A confirmed booking of a vehicle of its own (a registration made from the random end
/// of its id), with
/// limits too high to matter: tests of the limits set them.
pub fn booking(user: UserId, station: &Station, slot: DateTime<Utc>) -> NewBooking {
    let now = Utc::now();
    let id = BookingId::new();
    NewBooking {
        id,
        user_id: user,
        vehicle_id: None,
        registration: Some(format!("T{}", &id.0.simple().to_string()[20..]).to_uppercase()),
        station_id: station.id,
        slot_start: slot,
        slot_end: slot + Duration::minutes(15),
        forecast_walkins: 0,
        quantity: Quantity::from_centikg(800),
        payment_method: PaymentMethod::AtStation,
        status: BookingStatus::Confirmed,
        amount_paise: None,
        price_paise_per_kg: station.price_paise_per_kg,
        payment_provider: None,
        payment_order_id: None,
        hold_expires_at: None,
        valid_from: slot - Duration::minutes(15),
        valid_until: slot + Duration::minutes(45),
        codes: lane_codes(id, station.id, slot),
        now,
        limits: Limits {
            max_live: u32::MAX,
            per_hour: u32::MAX,
        },
    }
}

pub fn key(k: &str, body: &[u8]) -> Option<IdempotencyKey> {
    Some(IdempotencyKey {
        key: k.into(),
        request_hash: body.to_vec(),
    })
}

pub fn vehicle(owner: UserId, reg: &str, created_at: DateTime<Utc>) -> Vehicle {
    Vehicle {
        id: VehicleId::new(),
        user_id: owner,
        registration: VehicleReg::parse(reg).unwrap(),
        created_at,
    }
}

/// A booking's lane codes as the cloud would make them, under a test secret.
pub fn lane_codes(id: BookingId, station: StationId, slot: DateTime<Utc>) -> Vec<String> {
    let subject = lanecode::CodeSubject {
        booking: id,
        station,
        valid_from: slot - Duration::minutes(15),
        valid_until: slot + Duration::minutes(45),
    };
    (0..lanecode::NONCES)
        .map(|n| lanecode::lane_code(&[7; 32], &subject, n))
        .collect()
}
