//! The web pages (docs/architecture.md, "Web"): server-rendered HTML (maud) in the
//! visitor's language, one small script, a service worker that keeps booking pages for
//! use offline. Sessions are the API's tokens in HttpOnly cookies, every form carries a
//! CSRF token, and every page calls the same use cases — and so the same role checks —
//! as the API.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::state::AppState;

mod account;
mod admin;
mod board;
mod bookings;
mod home;
mod layout;
mod me;
mod network;
mod offer;
mod office;
mod office_form;
mod page;
mod pay;
mod receipt;
mod reply;
mod security;
mod session;
mod station_edit;
mod stations;
mod tech;
mod users;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        // The older single-page tool lived here: old bookmarks land on the stations.
        .route(
            "/app",
            get(|| async { axum::response::Redirect::permanent("/") }),
        )
        .route("/login", get(account::show_sign_in).post(account::sign_in))
        .route(
            "/register",
            get(account::show_sign_up).post(account::sign_up),
        )
        .route("/logout", post(account::sign_out))
        .route("/me", get(me::show).post(me::save))
        .route("/me/vehicles", post(me::add_vehicle))
        .route("/me/vehicles/remove", post(me::remove_vehicle))
        .route("/lang/{code}", get(account::language))
        .route("/stations/{id}", get(stations::picker))
        .route("/stations/{id}/book", post(stations::book))
        .route("/bookings", get(bookings::mine))
        .route("/bookings/{id}", get(bookings::show))
        .route("/bookings/{id}/receipt", get(receipt::show))
        .route("/bookings/{id}/{what}", post(bookings::act))
        .route("/admin", get(network::home))
        .route("/admin/users", get(users::list))
        .route("/admin/users/{id}/role", post(users::set_role))
        .route("/admin/users/{id}/stations", post(users::assign))
        .route("/admin/audit", get(security::audit_log))
        .route("/admin/audit/verify", post(security::verify))
        .route("/admin/keys", get(security::key_list))
        .route("/admin/keys/rotate", post(security::rotate))
        .route(
            "/admin/stations",
            get(admin::my_stations).post(station_edit::create),
        )
        .route(
            "/admin/stations/{id}/edit",
            get(station_edit::show).post(station_edit::save),
        )
        .route("/admin/stations/{id}", get(admin::lane_board))
        .route("/admin/stations/{id}/lanes", post(admin::change_lanes))
        .route("/admin/stations/{id}/office", get(office::show))
        .route("/admin/stations/{id}/settings", post(office::save_settings))
        .route(
            "/admin/stations/{id}/cases/{case}/resolve",
            post(office::resolve_case),
        )
        .route("/admin/stations/{id}/ledger.csv", get(office::ledger_csv))
        .route("/tech", get(tech::home))
        .route("/tech/stations/{id}/code", post(tech::new_code))
        .route("/tech/devices/{id}/revoke", post(tech::revoke))
        .route("/s/{code}", get(board::show))
        .route("/s/{code}/events", get(board::events))
        .route("/pay/{id}", get(pay::show).post(pay::submit))
        .route("/r/{token}", get(reply::show).post(reply::submit))
        .route("/o/{token}", get(offer::show).post(offer::submit))
        .route("/static/app.js", get(asset::<0>))
        .route("/static/icon.svg", get(asset::<1>))
        .route("/sw.js", get(asset::<2>))
        .route("/manifest.webmanifest", get(asset::<3>))
        // Pages and the script go gzipped to browsers that ask (a phone on 3G); the
        // event streams never are (the default predicate leaves text/event-stream).
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
}

/// The static files: (content, type), compiled in.
const ASSETS: [(&str, &str); 4] = [
    (
        include_str!("static/app.js"),
        "text/javascript; charset=utf-8",
    ),
    (include_str!("static/icon.svg"), "image/svg+xml"),
    (
        include_str!("static/sw.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        include_str!("static/manifest.webmanifest"),
        "application/manifest+json",
    ),
];

async fn asset<const N: usize>() -> impl IntoResponse {
    let (body, kind) = ASSETS[N];
    (
        [
            (header::CONTENT_TYPE, kind),
            // Revalidated each time: a new release's script is picked up at once.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
