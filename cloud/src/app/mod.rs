//! The use cases: what GasQ's cloud does, whoever asks — the HTTP API, the web pages,
//! the CLI, the demo seeding, the workers and the tests all call these functions.
//!
//! Each area is a module of plain async functions over [`App`] (the services every use
//! case may need) with its own error type; the HTTP layer turns those errors into
//! problem+json in one place (`crate::error::from_app`). Nothing here knows about HTTP.

pub mod access;
pub mod accounts;
pub mod actuals;
pub mod audit;
pub mod board;
pub mod board_hub;
pub mod bookings;
pub mod dashboard;
pub mod devices;
pub mod enrollment;
pub mod forecast;
pub mod grace;
pub mod ingest;
pub mod ivr;
pub mod keys;
pub mod lanecodes;
pub mod links;
pub mod login;
pub mod moves;
pub mod network;
pub mod notify;
pub mod ops;
pub mod payments;
pub mod people;
pub mod reminders;
pub mod sessions;
pub mod slots;
pub mod sms;
mod station_checks;
pub mod stations;
pub mod suggest;
pub mod sync;
pub mod tokens;
pub mod upkeep;
pub mod vehicles;
pub mod waitlist;

use std::sync::Arc;

use gasq_shared::policy::PolicyError;
use tokio_util::sync::CancellationToken;

use crate::auth::jwt::AccessTokens;
use crate::conditions::routes::Routes;
use crate::conditions::weather::Weather;
use crate::config::Settings;
use crate::crypto::Crypto;
use crate::forecast::DemandModel;
use crate::messages::Messenger;
use crate::payments::PaymentGateway;
use crate::payments::razorpay::RazorpayGateway;
use crate::payments::test_mode::TestModeGateway;
use crate::signing::TokenSigner;
use crate::store::Store;

/// The services use cases run on. Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone, Debug)]
pub struct App(Arc<Services>);

#[derive(Debug)]
pub struct Services {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub crypto: Crypto,
    pub access_tokens: AccessTokens,
    pub signer: TokenSigner,
    /// Razorpay when its keys are configured, else the local test-mode gateway.
    pub payments: Arc<dyn PaymentGateway>,
    /// Messages to drivers: the catalogue and the SMS and e-mail channels.
    pub messenger: Messenger,
    /// The local test-mode gateway when it is the one in use (its checkout page).
    pub test_gateway: Option<Arc<TestModeGateway>>,
    /// The demand model (`models/demand.onnx`, or the configured file).
    pub demand: Arc<DemandModel>,
    /// Stations' demand levels, fitted once a day.
    pub levels: forecast::LevelCache,
    /// The weather at stations (OpenWeatherMap, or assumed).
    pub weather: Weather,
    /// Drivers' travel times (Google Routes, or estimated).
    pub routes: Routes,
    /// Stations' live boards, one per watched station (`board_hub.rs`).
    pub boards: board_hub::BoardHub,
    /// Fires when the server begins to shut down: held requests (long polls) answer
    /// at once instead of keeping the shutdown waiting.
    pub stopping: CancellationToken,
}

impl std::ops::Deref for App {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

impl App {
    pub fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        crypto: Crypto,
        messenger: Messenger,
        demand: Arc<DemandModel>,
    ) -> Self {
        let access_tokens = AccessTokens::new(&crypto, settings.auth.access_token_ttl_secs);
        let signer = TokenSigner::new(store.clone(), crypto.clone());
        let (payments, test_gateway): (Arc<dyn PaymentGateway>, _) =
            match RazorpayGateway::from_settings(&settings.razorpay) {
                Some(razorpay) => (Arc::new(razorpay), None),
                None => {
                    let local = Arc::new(TestModeGateway::new(store.clone(), &crypto));
                    (local.clone(), Some(local))
                }
            };
        let (weather, routes) = (
            Weather::from_settings(&settings.weather),
            Routes::from_settings(&settings.maps),
        );
        Self(Arc::new(Services {
            settings,
            store,
            crypto,
            access_tokens,
            signer,
            payments,
            messenger,
            test_gateway,
            demand,
            levels: forecast::LevelCache::default(),
            weather,
            routes,
            boards: board_hub::BoardHub::default(),
            stopping: CancellationToken::new(),
        }))
    }
}

/// A field of a request that is not acceptable, and what to send instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<PolicyError> for Invalid {
    fn from(e: PolicyError) -> Self {
        Self::new(e.field, e.message)
    }
}
