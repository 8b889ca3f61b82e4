//! The API's table of contents: every route and the handler that answers it, the
//! OpenAPI document and Swagger UI, the problem+json fallbacks, and the layers every
//! request passes through.
//!
//! Routes are registered only through `utoipa_axum::routes!`, so every route the
//! server answers is in `/api/openapi.json` — the role-matrix test relies on that.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::extract::ClientIp;
use crate::api::{
    audit, auth, bookings, dashboard, devices, edge, ivr, me, ops, payments, sms, stations, tokens,
    waitlist,
};
use crate::error::openapi::ProblemResponses;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "GasQ API", description = "Book CNG fuelling slots, get signed QR e-tokens, run stations."),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "me", description = "The logged-in user and their vehicles"),
        (name = "stations", description = "Stations and their policy"),
        (name = "slots", description = "Bookable slots"),
        (name = "bookings", description = "Bookings"),
        (name = "tokens", description = "E-tokens and their verification keys"),
        (name = "audit", description = "The audit log"),
        (name = "edge", description = "Edge boxes: enrollment and sync"),
        (name = "payments", description = "Payments, refunds, receipts and takings"),
        (name = "messages", description = "Twilio webhooks: booking by SMS and phone call"),
        (name = "ops", description = "Health and metrics"),
    )
)]
struct ApiDoc;

/// Every API route, by resource, with its OpenAPI document.
pub fn api(state: &AppState) -> (Router<AppState>, OpenApiDoc) {
    // Password guessing and code guessing: limited per client address.
    let limited = OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(edge::enroll))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth_rate_limit,
        ));
    // Edges push batches of up to a thousand events.
    let edge_sync = OpenApiRouter::new()
        .routes(routes!(edge::changes))
        .routes(routes!(edge::events))
        .route_layer(DefaultBodyLimit::max(2 * 1024 * 1024));
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(limited)
        .merge(edge_sync)
        .routes(routes!(me::me, me::update_me))
        .routes(routes!(me::add_vehicle, me::list_vehicles))
        .routes(routes!(me::remove_vehicle))
        .routes(routes!(stations::list_stations, stations::create_station))
        .routes(routes!(stations::get_station, stations::update_station))
        .routes(routes!(stations::assign_staff))
        .routes(routes!(stations::list_slots))
        .routes(routes!(stations::forecast))
        .routes(routes!(dashboard::dashboard))
        .routes(routes!(edge::create_code))
        .routes(routes!(devices::list_devices))
        .routes(routes!(devices::revoke_device))
        .routes(routes!(bookings::create_booking, bookings::list_bookings))
        .routes(routes!(bookings::get_booking))
        .routes(routes!(bookings::cancel_booking))
        .routes(routes!(tokens::booking_token))
        .routes(routes!(tokens::refresh_token))
        .routes(routes!(tokens::booking_qr_svg))
        .routes(routes!(tokens::booking_qr_png))
        .routes(routes!(tokens::token_keys))
        .routes(routes!(sms::inbound))
        .routes(routes!(ivr::voice))
        .routes(routes!(waitlist::join, waitlist::mine))
        .routes(routes!(waitlist::accept))
        .routes(routes!(waitlist::leave))
        .routes(routes!(payments::verify))
        .routes(routes!(payments::webhook))
        .routes(routes!(payments::booking_receipt))
        .routes(routes!(payments::takings))
        .routes(routes!(payments::ledger_csv))
        .routes(routes!(payments::price_history))
        .routes(routes!(payments::resolve_case))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::list_notifications))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .split_for_parts();
    // After the routes are in: it describes each route's error responses.
    ProblemResponses.modify(&mut doc);
    (router, doc)
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (api, doc) = api(&state);
    Router::new()
        .merge(api)
        .merge(SwaggerUi::new("/docs").url("/api/openapi.json", doc))
        .merge(crate::web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut OpenApiDoc) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        let device = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("EdDSA device JWT")
            .build();
        components.add_security_scheme("device_jwt", SecurityScheme::Http(device));
        let scrape = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("the scrape token, `metrics.token`"))
            .build();
        components.add_security_scheme("metrics_token", SecurityScheme::Http(scrape));
    }
}

async fn not_found() -> ApiError {
    ApiError::client(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such route: see /docs for the API",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::client(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this route does not take that method: see /docs",
    )
}

/// Limits requests to the auth routes per client IP (password guessing, credential
/// stuffing).
async fn auth_rate_limit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    req: Request,
    next: Next,
) -> Response {
    if let Some(ip) = ip
        && let Err(retry_after) = state.auth_limiter.check(ip)
    {
        return ApiError::too_many_requests(
            retry_after,
            "too many requests from your address: wait a minute",
        )
        .into_response();
    }
    next.run(req).await
}
