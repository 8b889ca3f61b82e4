//! A booking as its row holds it.

use chrono::{DateTime, Utc};
use gasq_shared::{Quantity, StationId};
use uuid::Uuid;

use crate::domain::{Booking, BookingStatus, PaymentMethod};
use crate::store::StoreError;

#[derive(sqlx::FromRow)]
pub(crate) struct BookingRow {
    id: Uuid,
    code: String,
    user_id: Uuid,
    vehicle_id: Option<Uuid>,
    registration: Option<String>,
    station_id: i64,
    slot_start: DateTime<Utc>,
    slot_end: DateTime<Utc>,
    quantity_centikg: i32,
    payment_method: String,
    status: String,
    amount_paise: Option<i64>,
    payment_provider: Option<String>,
    payment_order_id: Option<String>,
    price_paise_per_kg: Option<i64>,
    payment_id: Option<String>,
    paid_paise: Option<i64>,
    paid_at: Option<DateTime<Utc>>,
    filled_centikg: Option<i32>,
    coming_at: Option<DateTime<Utc>>,
    hold_expires_at: Option<DateTime<Utc>>,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<BookingRow> for Booking {
    type Error = StoreError;
    fn try_from(r: BookingRow) -> Result<Self, StoreError> {
        Ok(Booking {
            id: r.id.into(),
            code: r.code,
            user_id: r.user_id.into(),
            vehicle_id: r.vehicle_id.map(Into::into),
            registration: r.registration,
            station_id: StationId::try_from(r.station_id).map_err(StoreError::corrupt)?,
            slot_start: r.slot_start,
            slot_end: r.slot_end,
            quantity: Quantity::from_centikg(
                u16::try_from(r.quantity_centikg).map_err(|_| StoreError::corrupt("quantity"))?,
            ),
            payment_method: PaymentMethod::parse(&r.payment_method).ok_or_else(|| {
                StoreError::corrupt(format!("payment method {}", r.payment_method))
            })?,
            status: BookingStatus::parse(&r.status)
                .ok_or_else(|| StoreError::corrupt(format!("booking status {}", r.status)))?,
            amount_paise: r.amount_paise,
            payment_provider: r.payment_provider,
            payment_order_id: r.payment_order_id,
            price_paise_per_kg: r.price_paise_per_kg,
            payment_id: r.payment_id,
            paid_paise: r.paid_paise,
            paid_at: r.paid_at,
            filled_centikg: r.filled_centikg.and_then(|c| u32::try_from(c).ok()),
            coming_at: r.coming_at,
            hold_expires_at: r.hold_expires_at,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(crate) fn bookings(rows: Vec<BookingRow>) -> Result<Vec<Booking>, StoreError> {
    rows.into_iter().map(Booking::try_from).collect()
}
