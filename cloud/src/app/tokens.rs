//! E-tokens: a booking's signed token (text or QR), and the published verification
//! keys.

use chrono::{DateTime, Utc};
use gasq_shared::BookingId;
use gasq_shared::keys::TokenKeys;
use gasq_shared::token::{TokenClaims, TokenFlags};
use serde::Serialize;
use utoipa::ToSchema;

use super::App;
use super::bookings::{self, BookingError};
use crate::domain::{Actor, Booking, BookingStatus, PaymentMethod};
use crate::qr;
use crate::signing::SigningError;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Booking(#[from] BookingError),
    /// Only a confirmed booking has a token; the status says what to do instead.
    #[error("a {} booking has no e-token", .0.as_str())]
    Unavailable(BookingStatus),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error("the QR code could not be drawn: {0}")]
    Qr(String),
}

type Result<T> = std::result::Result<T, TokenError>;

/// A booking's e-token.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    /// The QR text (`GQ1:…`).
    pub token: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

fn unix(t: DateTime<Utc>) -> u32 {
    u32::try_from(t.timestamp().max(0)).unwrap_or(u32::MAX)
}

/// Signs the token of a booking that may be fuelled.
pub async fn issue(app: &App, b: &Booking) -> Result<String> {
    if b.status != BookingStatus::Confirmed {
        return Err(TokenError::Unavailable(b.status));
    }
    let claims = TokenClaims {
        kid: 0, // set by the signer
        booking_id: b.id,
        station_id: b.station_id.get(),
        valid_from: unix(b.valid_from),
        valid_until: unix(b.valid_until),
        quantity: b.quantity,
        flags: TokenFlags {
            prepaid: b.payment_method == PaymentMethod::Online,
            fleet: false,
        },
        vehicle: b.registration.clone().unwrap_or_default(),
    };
    Ok(app.signer.sign(claims).await?)
}

/// The token of a booking the caller may see.
pub async fn for_booking(app: &App, user: &Actor, id: BookingId) -> Result<IssuedToken> {
    let b = bookings::visible(app, user, id).await?;
    Ok(IssuedToken {
        token: issue(app, &b).await?,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
    })
}

/// The token of a booking the caller may see, as a QR code.
pub async fn qr_code(app: &App, user: &Actor, id: BookingId) -> Result<qrcode::QrCode> {
    let token = for_booking(app, user, id).await?.token;
    qr::encode(&token).map_err(|e| TokenError::Qr(format!("{e:?}")))
}

/// The verification keys as published now (a rotation by another process or replica
/// shows at once).
pub async fn published_keys(app: &App) -> Result<TokenKeys> {
    Ok(app.signer.published_now().await?)
}
