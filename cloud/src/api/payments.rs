//! Payments: the checkout callback and the gateway's webhook (both authenticated by
//! their HMAC signatures, not by a login), the driver's receipt, and the station's
//! takings and ledger export.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use gasq_shared::{BookingId, StationId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery, Authorized, StationStaff};
use crate::app::payments::receipt::{self, DayTakings, Receipt};
use crate::app::payments::{self, CheckoutCallback, PaymentResult, WebhookOutcome};
use crate::domain::Actor;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::PriceChange;

/// The checkout callback: Razorpay Checkout (or the test-mode page) hands the page
/// these three fields after a payment; the signature is checked with the key secret.
/// Confirms the booking once, whatever else arrives and in whatever order.
#[utoipa::path(post, path = "/api/v1/payments/razorpay/verify", tag = "payments",
    request_body = CheckoutCallback,
    responses((status = 200, body = PaymentResult), (status = 400, description = "bad signature"), (status = 404)))]
pub(crate) async fn verify(
    State(state): State<AppState>,
    ApiJson(cb): ApiJson<CheckoutCallback>,
) -> ApiResult<ApiJson<PaymentResult>> {
    Ok(ApiJson(payments::verify(&state, cb).await?))
}

/// What a webhook delivery did.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAnswer {
    /// `applied`, `duplicate` or `ignored`.
    status: &'static str,
}

/// The gateway's webhook: `X-Razorpay-Signature` is the HMAC-SHA256 of the raw body
/// with the webhook secret; `X-Razorpay-Event-Id` deduplicates deliveries. Handles
/// `payment.authorized`, `payment.captured`, `payment.failed`, `order.paid`,
/// `refund.processed` and `refund.failed`; other events are acknowledged and ignored.
#[utoipa::path(post, path = "/api/v1/payments/razorpay/webhook", tag = "payments",
    params(
        ("X-Razorpay-Signature" = String, Header, description = "hex HMAC-SHA256 of the body"),
        ("X-Razorpay-Event-Id" = Option<String>, Header, description = "the event's id"),
    ),
    request_body(content = String, description = "the gateway's event, as sent", content_type = "application/json"),
    responses((status = 200, body = WebhookAnswer), (status = 400, description = "bad signature or body"),
        (status = 503, description = "deliver again later")))]
pub(crate) async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<ApiJson<WebhookAnswer>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let outcome = payments::webhook(
        &state,
        &body,
        header("x-razorpay-signature"),
        header("x-razorpay-event-id"),
    )
    .await?;
    let status = match outcome {
        WebhookOutcome::Applied => "applied",
        WebhookOutcome::Duplicate => "duplicate",
        WebhookOutcome::Ignored => "ignored",
    };
    Ok(ApiJson(WebhookAnswer { status }))
}

/// A booking's receipt: price, paid, filled, refunded (and on its way back), fees, and
/// every money movement.
#[utoipa::path(get, path = "/api/v1/bookings/{id}/receipt", tag = "payments", params(("id" = BookingId, Path)),
    responses((status = 200, body = Receipt), (status = 404)), security(("bearer" = [])))]
pub(crate) async fn booking_receipt(
    State(state): State<AppState>,
    user: Actor,
    ApiPath(id): ApiPath<BookingId>,
) -> ApiResult<ApiJson<Receipt>> {
    Ok(ApiJson(receipt::receipt(&state, &user, id).await?))
}

/// The station's prices per kg over time, newest first (who set each, when).
#[utoipa::path(get, path = "/api/v1/stations/{id}/prices", tag = "payments", params(("id" = u32, Path)),
    responses((status = 200, body = [PriceChange]), (status = 403)), security(("bearer" = [])))]
pub(crate) async fn price_history(
    State(state): State<AppState>,
    staff: Authorized<StationStaff>,
    ApiPath(id): ApiPath<StationId>,
) -> ApiResult<ApiJson<Vec<PriceChange>>> {
    Ok(ApiJson(receipt::prices(&state, &staff, id).await?))
}

/// What was done about a reconciliation case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// 1 to 500 characters, e.g. "collected ₹152 at the station".
    resolution: String,
}

/// Closes an open reconciliation case of the station, with what was done (audited).
#[utoipa::path(post, path = "/api/v1/stations/{id}/cases/{case_id}/resolve", tag = "payments",
    params(("id" = u32, Path), ("case_id" = String, Path)), request_body = Resolution,
    responses((status = 204), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
pub(crate) async fn resolve_case(
    State(state): State<AppState>,
    staff: Authorized<StationStaff>,
    ApiPath((id, case)): ApiPath<(StationId, uuid::Uuid)>,
    ApiJson(body): ApiJson<Resolution>,
) -> ApiResult<axum::http::StatusCode> {
    receipt::resolve_case(&state, &staff, id, case, &body.resolution).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A range of the station's local dates (at most 92 days); `to` defaults to `from`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// First date, `YYYY-MM-DD`.
    from: NaiveDate,
    /// Last date (inclusive).
    to: Option<NaiveDate>,
}

/// The station's takings per day: payments, captures, refunds, fees, net.
#[utoipa::path(get, path = "/api/v1/stations/{id}/takings", tag = "payments",
    params(("id" = u32, Path), DateRange),
    responses((status = 200, body = [DayTakings]), (status = 403)), security(("bearer" = [])))]
pub(crate) async fn takings(
    State(state): State<AppState>,
    staff: Authorized<StationStaff>,
    ApiPath(id): ApiPath<StationId>,
    ApiQuery(range): ApiQuery<DateRange>,
) -> ApiResult<ApiJson<Vec<DayTakings>>> {
    let to = range.to.unwrap_or(range.from);
    Ok(ApiJson(
        receipt::takings(&state, &staff, id, range.from, to).await?,
    ))
}

/// The station's ledger as CSV for the accountant (local dates and times, rupees).
#[utoipa::path(get, path = "/api/v1/stations/{id}/ledger.csv", tag = "payments",
    params(("id" = u32, Path), DateRange),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403)), security(("bearer" = [])))]
pub(crate) async fn ledger_csv(
    State(state): State<AppState>,
    staff: Authorized<StationStaff>,
    ApiPath(id): ApiPath<StationId>,
    ApiQuery(range): ApiQuery<DateRange>,
) -> ApiResult<impl IntoResponse> {
    let to = range.to.unwrap_or(range.from);
    let csv = receipt::ledger_csv(&state, &staff, id, range.from, to).await?;
    let name = format!(
        "attachment; filename=\"gasq-station-{id}-{}-{to}.csv\"",
        range.from
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        csv,
    ))
}
