//! [`ErrorCode`]: every `code` a problem+json answer of the API can carry. Clients
//! switch on these; they are in the OpenAPI document, and never change meaning.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The stable, machine-readable `code` of an error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The request itself.
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The body is not JSON.
    MalformedJson,
    /// The body is JSON but not the shape this route takes.
    InvalidBody,
    BodyTooLarge,
    /// A path parameter is not what the route takes (an id of the wrong form).
    InvalidPath,
    /// A query parameter is not what the route takes.
    InvalidQuery,
    /// Text holding NUL characters.
    InvalidText,
    /// One or more fields are not acceptable: see `errors`.
    ValidationFailed,
    NotFound,
    MethodNotAllowed,
    // Who is calling.
    /// No access token.
    Unauthenticated,
    /// The access token is invalid or expired.
    InvalidToken,
    InvalidDeviceToken,
    /// The edge device was revoked (replaced or switched off): enroll the box again.
    DeviceRevoked,
    /// The caller's role or station does not allow this.
    Forbidden,
    /// Too many requests: wait `Retry-After` seconds.
    RateLimited,
    InvalidCredentials,
    InvalidRefreshToken,
    /// A refresh token was used twice: the session was ended.
    RefreshTokenReused,
    // Accounts and vehicles.
    AccountExists,
    VehicleExists,
    /// A live booking holds the vehicle.
    VehicleInUse,
    // Stations.
    StationExists,
    /// The station kept changing while this request tried to change it.
    StationBusy,
    /// `slot_minutes` cannot change while bookings on the current grid are ahead.
    BookingsAhead,
    // Bookings and tokens.
    SlotFull,
    /// A booking limit: one live booking per vehicle within an hour, at most
    /// `bookings.max_live_per_driver` live bookings per driver, or too many bookings in
    /// the last hour. The detail says which, and when it frees.
    BookingLimit,
    InvalidIdempotencyKey,
    IdempotencyKeyReused,
    NotCancellable,
    /// Waiting is for full slots: this one has a place.
    SlotHasPlaces,
    /// No waitlist place is offered to the caller now.
    NoOffer,
    /// Only a confirmed booking has an e-token.
    TokenUnavailable,
    /// The driver cannot reach the station within the longest grace: book a later slot.
    TooLate,
    // Edge boxes.
    EnrollmentCodeInvalid,
    InvalidBatch,
    BatchTooLarge,
    // Payments.
    /// A checkout callback or webhook whose signature does not verify.
    InvalidPaymentSignature,
    /// The payment gateway cannot be reached now: try again, or pay at the station.
    PaymentGatewayUnavailable,
    // Our side.
    DatabaseUnavailable,
    /// Something else conflicted with this request: try again.
    Conflict,
    /// Something went wrong on our side.
    Internal,
}

impl ErrorCode {
    /// The code as it appears in the problem body.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            UnsupportedMediaType => "unsupported_media_type",
            MalformedJson => "malformed_json",
            InvalidBody => "invalid_body",
            BodyTooLarge => "body_too_large",
            InvalidPath => "invalid_path",
            InvalidQuery => "invalid_query",
            InvalidText => "invalid_text",
            ValidationFailed => "validation_failed",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Unauthenticated => "unauthenticated",
            InvalidToken => "invalid_token",
            InvalidDeviceToken => "invalid_device_token",
            DeviceRevoked => "device_revoked",
            Forbidden => "forbidden",
            RateLimited => "rate_limited",
            InvalidCredentials => "invalid_credentials",
            InvalidRefreshToken => "invalid_refresh_token",
            RefreshTokenReused => "refresh_token_reused",
            AccountExists => "account_exists",
            VehicleExists => "vehicle_exists",
            VehicleInUse => "vehicle_in_use",
            StationExists => "station_exists",
            StationBusy => "station_busy",
            BookingsAhead => "bookings_ahead",
            SlotFull => "slot_full",
            BookingLimit => "booking_limit",
            InvalidIdempotencyKey => "invalid_idempotency_key",
            IdempotencyKeyReused => "idempotency_key_reused",
            NotCancellable => "not_cancellable",
            SlotHasPlaces => "slot_has_places",
            NoOffer => "no_offer",
            TokenUnavailable => "token_unavailable",
            TooLate => "too_late",
            EnrollmentCodeInvalid => "enrollment_code_invalid",
            InvalidBatch => "invalid_batch",
            BatchTooLarge => "batch_too_large",
            InvalidPaymentSignature => "invalid_payment_signature",
            PaymentGatewayUnavailable => "payment_gateway_unavailable",
            DatabaseUnavailable => "database_unavailable",
            Conflict => "conflict",
            Internal => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_reads_in_the_body_as_in_the_openapi_document() {
        let schema = serde_json::to_value(<ErrorCode as utoipa::PartialSchema>::schema())
            .unwrap_or_default();
        let listed: Vec<String> = schema["enum"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        assert!(listed.len() > 30, "{schema}");
        for name in &listed {
            let code: ErrorCode = serde_json::from_value(serde_json::json!(name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(code.as_str(), name);
        }
    }
}
