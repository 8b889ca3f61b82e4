//! GasQ cloud: the booking API, token signing, audit log, background workers.
//!
//! [`build`] turns settings into a ready [`App`] (database migrated, keys loaded) —
//! what the use cases in [`app`] run on; [`serve`] runs the HTTP API and workers on a
//! listener until shutdown. The binary and the tests both go through these, so tests
//! exercise the real wiring. The layers, bottom up: `domain` (rules, no I/O) → `store`
//! (persistence) → `app` (use cases) → `api`, `web`, `router` (HTTP); see
//! `docs/architecture.md`.

#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod auth;
pub mod conditions;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod error;
pub mod forecast;
pub mod messages;
pub mod metrics;
pub mod payments;
pub mod qr;
pub mod router;
pub mod secret;
pub mod signing;
pub mod state;
pub mod store;
pub mod web;
pub mod workers;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use crate::app::App;
use crate::config::Settings;
use crate::crypto::{Crypto, KeySource};
pub use crate::state::AppState;
use crate::store::SqlStore;

/// Why the cloud could not start; each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot open the database at {url}: {source}")]
    Database {
        url: String,
        source: store::StoreError,
    },
    #[error(transparent)]
    MasterKey(#[from] crypto::KeyError),
    #[error("token signing keys: {0}")]
    Signing(#[from] signing::SigningError),
    #[error("messages: {0}")]
    Messages(String),
    #[error(transparent)]
    Forecast(#[from] forecast::ModelError),
    #[error("HTTP server: {0}")]
    Serve(#[from] std::io::Error),
}

/// Hides the password in a database URL for messages (in the user part, and in a
/// `password=` query parameter).
pub fn redact_url(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((base, q)) => (base, Some(q)),
        None => (url, None),
    };
    let query = query.map(|q| {
        q.split('&')
            .map(|kv| {
                if kv.to_ascii_lowercase().starts_with("password=") {
                    "password=***"
                } else {
                    kv
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let base = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    };
    match query {
        Some(q) => format!("{base}?{q}"),
        None => base,
    }
}

/// Connects the store, loads the master key and signing keys.
pub async fn build(settings: Settings) -> Result<App, LaunchError> {
    let url = settings.effective_database_url();
    let store = SqlStore::connect(&url, settings.database_max_connections)
        .await
        .map_err(|source| LaunchError::Database {
            url: redact_url(&url),
            source,
        })?;
    let (crypto, source) =
        Crypto::load_or_generate(settings.master_key.as_ref(), &settings.data_dir)?;
    match source {
        KeySource::Generated => tracing::warn!(
            path = %settings.data_dir.join("master.key").display(),
            "generated a new master key: back it up, and in production set GASQ_MASTER_KEY instead"
        ),
        KeySource::ExistingFile => tracing::info!("using the master key file in the data dir"),
        KeySource::Config => {}
    }
    let messenger = messages::Messenger::from_settings(&settings).map_err(LaunchError::Messages)?;
    let demand = forecast::DemandModel::load(settings.forecast.model_path.as_deref())?;
    tracing::info!(model = %demand.source, "demand forecast");
    let app = App::new(
        settings,
        Arc::new(store),
        crypto,
        messenger,
        Arc::new(demand),
    );
    tracing::info!(
        weather = app.weather.name(),
        routes = app.routes.name(),
        "road conditions (a provider without its key falls back: assumed weather, travel \
         estimated from the distance)"
    );
    tracing::info!(
        sms = app.messenger.sms.name(),
        email = app.messenger.email.name(),
        languages = ?app.messenger.catalog.languages(),
        "messages to drivers"
    );
    if app.settings.public_url.is_none() {
        tracing::warn!(
            using = %app.settings.public_base(),
            "GASQ_PUBLIC_URL is not set: links in messages (reminders, waitlist offers) point \
             at this server's listen address, and Twilio's webhook signatures are checked \
             against it. Set it to the address drivers and Twilio reach, e.g. \
             https://gasq.example.in"
        );
    }
    match app.payments.checkout_key_id() {
        Some(key) => tracing::info!(key_id = key, "payments: Razorpay"),
        None => tracing::warn!(
            "payments: local TEST MODE (no Razorpay keys): nobody is charged; drivers pay on \
             the test checkout page at /pay/<booking id>. Set GASQ_RAZORPAY_KEY_ID and \
             GASQ_RAZORPAY_KEY_SECRET for real payments"
        ),
    }
    app.signer.ensure_key().await?;
    Ok(app)
}

/// Serves the API on `listener` and runs the workers, until `shutdown` fires.
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), LaunchError> {
    let workers = tokio::spawn(workers::run_holds(app.clone(), shutdown.clone()));
    let sealer = tokio::spawn(workers::run_sealer(app.clone(), shutdown.clone()));
    let pruner = tokio::spawn(workers::run_pruner(app.clone(), shutdown.clone()));
    let money = tokio::spawn(workers::run_money(app.clone(), shutdown.clone()));
    let notifier = tokio::spawn(workers::run_notifications(app.clone(), shutdown.clone()));
    let reconciler = tokio::spawn(workers::run_reconciliation(app.clone(), shutdown.clone()));
    let stopping = app.stopping.clone();
    let app = router::app(AppState::new(app)).into_make_service_with_connect_info::<SocketAddr>();
    let stop = shutdown.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            stop.cancelled().await;
            // Held pulls answer now, so the graceful shutdown need not wait them out.
            stopping.cancel();
        })
        .await?;
    shutdown.cancel();
    let _ = workers.await;
    let _ = sealer.await;
    let _ = pruner.await;
    let _ = money.await;
    let _ = notifier.await;
    let _ = reconciler.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_hidden() {
        assert_eq!(
            redact_url("postgres://gasq:s3cret@db:5432/gasq"),
            "postgres://gasq:***@db:5432/gasq"
        );
        assert_eq!(
            redact_url("sqlite://data/gasq.sqlite"),
            "sqlite://data/gasq.sqlite"
        );
        assert_eq!(
            redact_url("postgres://db/gasq?user=g&password=s3cret&sslmode=require"),
            "postgres://db/gasq?user=g&password=***&sslmode=require"
        );
    }
}
