//! The one place the use cases' errors become HTTP answers: status, [`ErrorCode`], and
//! a detail that tells the caller what to do next.

use axum::http::StatusCode;

use super::{ApiError, ErrorCode};
use crate::app::Invalid;
use crate::app::access::AccessError;
use crate::app::accounts::AccountError;
use crate::app::audit::AuditError;
use crate::app::bookings::BookingError;
use crate::app::dashboard::DashboardError;
use crate::app::devices::DeviceError;
use crate::app::enrollment::EnrollError;
use crate::app::forecast;
use crate::app::grace::RefreshError;
use crate::app::ingest::IngestError;
use crate::app::ops::NotReady;
use crate::app::payments::PaymentError;
use crate::app::slots::SlotsError;
use crate::app::stations::StationError;
use crate::app::sync::SyncError;
use crate::app::tokens::TokenError;
use crate::app::vehicles::VehicleError;
use crate::app::waitlist::WaitlistError;
use crate::auth::device::DeviceTokenError;
use crate::domain::BookingStatus;
use crate::signing::SigningError;
use crate::store::StoreError;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(what),
            StoreError::Conflict(what) => Self::conflict(ErrorCode::Conflict, what),
            other => Self::internal(other),
        }
    }
}

impl From<SigningError> for ApiError {
    fn from(e: SigningError) -> Self {
        Self::internal(e)
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        Self::invalid(&e.field, e.message)
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::NotAssigned(_) => Self::forbidden(e.to_string()),
            AccessError::Store(e) => e.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        use AccountError::*;
        match e {
            Invalid(e) => e.into(),
            Exists(m) => Self::conflict(ErrorCode::AccountExists, m),
            TooManyFailures { retry_after_secs } => Self::too_many_requests(
                retry_after_secs,
                format!(
                    "too many failed logins: try again in {retry_after_secs} s (each further \
                     failure doubles the wait). A browser or app that signed in to this account \
                     before is not held up"
                ),
            ),
            WrongCredentials => {
                Self::unauthorized(ErrorCode::InvalidCredentials, "wrong login or password")
            }
            RefreshReused => Self::unauthorized(
                ErrorCode::RefreshTokenReused,
                "this refresh token was already used, so the session was ended for safety: log in again",
            ),
            RefreshInvalid => Self::unauthorized(
                ErrorCode::InvalidRefreshToken,
                "the refresh token is unknown, expired or revoked: log in again",
            ),
            NotFound(what) => Self::not_found(what),
            Store(e) => e.into(),
            Internal(e) => Self::Internal(e),
        }
    }
}

impl From<VehicleError> for ApiError {
    fn from(e: VehicleError) -> Self {
        match e {
            VehicleError::Invalid(e) => e.into(),
            VehicleError::Exists(m) => Self::conflict(ErrorCode::VehicleExists, m),
            VehicleError::NotFound => Self::not_found("vehicle"),
            VehicleError::InUse(m) => Self::conflict(ErrorCode::VehicleInUse, m),
            VehicleError::Store(e) => e.into(),
        }
    }
}

impl From<StationError> for ApiError {
    fn from(e: StationError) -> Self {
        use StationError::*;
        match e {
            Invalid(e) => e.into(),
            NotFound(what) => Self::not_found(what),
            Exists(m) => Self::conflict(ErrorCode::StationExists, m),
            Access(e) => e.into(),
            BookingsAhead => Self::conflict(
                ErrorCode::BookingsAhead,
                "slot_minutes cannot change while bookings on the current grid are ahead: \
                 change it when they are done",
            ),
            Busy => Self::conflict(
                ErrorCode::StationBusy,
                "the station keeps changing: try again in a moment",
            ),
            Store(e) => e.into(),
        }
    }
}

impl From<SlotsError> for ApiError {
    fn from(e: SlotsError) -> Self {
        match e {
            SlotsError::Station(e) => e.into(),
            SlotsError::BadDate(m) => Self::bad_request(ErrorCode::InvalidQuery, m),
            SlotsError::Store(e) => e.into(),
            SlotsError::Forecast(forecast::ForecastError::Store(e)) => e.into(),
            SlotsError::Forecast(e @ forecast::ForecastError::Model(_)) => Self::internal(e),
        }
    }
}

impl From<BookingError> for ApiError {
    fn from(e: BookingError) -> Self {
        use BookingError::*;
        match e {
            Invalid(e) => e.into(),
            NotFound => Self::not_found("booking"),
            SlotFull { station, .. } => Self::conflict(
                ErrorCode::SlotFull,
                format!(
                    "that slot is fully booked: pick another from GET /api/v1/stations/{station}/slots \
                     (with a new Idempotency-Key if you send one)"
                ),
            ),
            Limit(hit) => Self::conflict(ErrorCode::BookingLimit, hit.to_string()),
            BadIdempotencyKey => Self::bad_request(
                ErrorCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1-255 visible ASCII characters",
            ),
            KeyReused => Self::unprocessable(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request: use a new key for a new booking",
            ),
            NotCancellable(status) => Self::conflict(
                ErrorCode::NotCancellable,
                format!("a {} booking cannot be cancelled", status.as_str()),
            ),
            Payment(e) => gateway_unavailable(&e),
            Store(e) => e.into(),
        }
    }
}

/// The payment gateway did not make an order: a 503 the driver can act on (the cause is
/// logged, not shown).
fn gateway_unavailable(e: &crate::payments::GatewayError) -> ApiError {
    tracing::error!(error = %e, "payment gateway");
    let mut err = ApiError::client(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::PaymentGatewayUnavailable,
        "online payment is unavailable right now: try again in a minute, or book with \
         payment_method at_station",
    );
    retry_after(&mut err, 60);
    err
}

impl From<WaitlistError> for ApiError {
    fn from(e: WaitlistError) -> Self {
        match e {
            WaitlistError::Booking(e) => e.into(),
            WaitlistError::HasPlaces => Self::conflict(
                ErrorCode::SlotHasPlaces,
                "that slot has a free place: book it with POST /api/v1/bookings",
            ),
            WaitlistError::NotFound => Self::not_found("waitlist place"),
            WaitlistError::NoOffer => Self::conflict(
                ErrorCode::NoOffer,
                "no place is offered to you for this now (the offer lapsed or went to the \
                 next driver): you are told by SMS when one is",
            ),
            WaitlistError::Store(e) => e.into(),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        use PaymentError::*;
        match e {
            Invalid(e) => e.into(),
            BadSignature => Self::bad_request(
                ErrorCode::InvalidPaymentSignature,
                "the signature does not match: send the fields exactly as the gateway gave them",
            ),
            NoWebhookSecret => {
                let mut err = Self::client(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::PaymentGatewayUnavailable,
                    "webhooks are not set up here yet (no webhook secret): deliver again later",
                );
                retry_after(&mut err, 600);
                err
            }
            UnknownOrder => Self::not_found("order"),
            NotFound => Self::not_found("booking"),
            CaseNotFound => Self::not_found("open case"),
            NotTestMode => Self::not_found("test-mode checkout"),
            RetryLater => {
                let mut err = Self::client(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Conflict,
                    "this event overtook our own request to the gateway: deliver it again later",
                );
                retry_after(&mut err, 60);
                err
            }
            Gateway(e) => gateway_unavailable(&e),
            Access(e) => e.into(),
            Store(e) => e.into(),
        }
    }
}

fn retry_after(err: &mut ApiError, secs: u64) {
    if let ApiError::Client {
        retry_after_secs, ..
    } = err
    {
        *retry_after_secs = Some(secs);
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Booking(e) => e.into(),
            TokenError::Unavailable(status) => {
                let next = match status {
                    BookingStatus::PendingPayment => "pay for the booking first",
                    BookingStatus::Redeemed | BookingStatus::Completed => {
                        "it has been used at the station"
                    }
                    _ => "make a new booking",
                };
                Self::conflict(
                    ErrorCode::TokenUnavailable,
                    format!("a {} booking has no e-token: {next}", status.as_str()),
                )
            }
            TokenError::Signing(e) => e.into(),
            TokenError::Qr(m) => Self::internal(anyhow::anyhow!(m)),
        }
    }
}

impl From<EnrollError> for ApiError {
    fn from(e: EnrollError) -> Self {
        match e {
            EnrollError::Invalid(e) => e.into(),
            EnrollError::Access(e) => e.into(),
            EnrollError::Station(e) => e.into(),
            EnrollError::CodeRefused(why) => Self::client(
                StatusCode::NOT_FOUND,
                ErrorCode::EnrollmentCodeInvalid,
                format!("{why}: ask the station admin for a new code"),
            ),
            EnrollError::Signing(e) => e.into(),
            EnrollError::Store(e) => e.into(),
        }
    }
}

impl From<DeviceError> for ApiError {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::NotFound(_) => Self::not_found("edge device"),
            DeviceError::Access(e) => e.into(),
            DeviceError::Station(e) => e.into(),
            DeviceError::Store(e) => e.into(),
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Revoked => Self::unauthorized(ErrorCode::DeviceRevoked, e.to_string()),
            SyncError::Station(e) => e.into(),
            SyncError::Signing(e) => e.into(),
            SyncError::Store(e) => e.into(),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::InvalidBatch(m) => Self::unprocessable(ErrorCode::InvalidBatch, m),
            IngestError::TooLarge => Self::unprocessable(ErrorCode::BatchTooLarge, e.to_string()),
            IngestError::Station(e) => e.into(),
            IngestError::Store(e) => e.into(),
        }
    }
}

impl From<DashboardError> for ApiError {
    fn from(e: DashboardError) -> Self {
        match e {
            DashboardError::Access(e) => e.into(),
            DashboardError::Station(e) => e.into(),
            DashboardError::Store(e) => e.into(),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Invalid(e) => Self::bad_request(ErrorCode::InvalidQuery, e.to_string()),
            AuditError::Broken { .. } => Self::internal(e),
            AuditError::Store(e) => e.into(),
        }
    }
}

impl From<NotReady> for ApiError {
    fn from(e: NotReady) -> Self {
        tracing::warn!(error = %e, "readiness check failed");
        match e {
            NotReady::Database(_) => Self::client(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DatabaseUnavailable,
                "the database does not answer",
            ),
        }
    }
}

impl From<DeviceTokenError> for ApiError {
    fn from(e: DeviceTokenError) -> Self {
        match e {
            DeviceTokenError::Store(e) => e.into(),
            DeviceTokenError::StoredKey(_) => Self::internal(e),
            DeviceTokenError::Revoked => {
                Self::unauthorized(ErrorCode::DeviceRevoked, e.to_string())
            }
            other => Self::unauthorized(ErrorCode::InvalidDeviceToken, other.to_string()),
        }
    }
}

impl From<RefreshError> for ApiError {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::Invalid(e) => e.into(),
            RefreshError::Booking(e) => e.into(),
            RefreshError::Token(e) => e.into(),
            RefreshError::Station(e) => e.into(),
            RefreshError::Store(e) => e.into(),
            e @ RefreshError::TooLate { .. } => Self::conflict(ErrorCode::TooLate, e.to_string()),
            e @ RefreshError::SlotFull { .. } => Self::conflict(ErrorCode::SlotFull, e.to_string()),
        }
    }
}
