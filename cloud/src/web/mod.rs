//! The web app: one static page (HTML, CSS and vanilla JS embedded in the binary) that
//! talks to the public API with the user's access token, kept in the tab's session
//! storage. Drivers book and show their QR; station staff watch the lane board.
//!
//! The page holds no data of its own, so serving it needs no authorisation; every
//! request it makes goes through the API's role checks.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

mod offer;
mod page;
mod pay;
mod reply;

const INDEX: &str = include_str!("app.html");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/app", get(index))
        .route("/pay/{id}", get(pay::show).post(pay::submit))
        .route("/r/{token}", get(reply::show).post(reply::submit))
        .route("/o/{token}", get(offer::show).post(offer::submit))
}

async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
            ),
        ],
        INDEX,
    )
}
