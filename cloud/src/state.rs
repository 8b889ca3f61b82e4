//! The shared state every handler and worker gets: settings, store, keys, limits.

use std::sync::Arc;

use crate::auth::jwt::AccessTokens;
use crate::auth::ratelimit::IpLimiter;
use crate::config::Settings;
use crate::crypto::Crypto;
use crate::metrics::Metrics;
use crate::payments::PaymentProvider;
use crate::signing::TokenSigner;
use crate::store::Store;

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub settings: Settings,
    pub store: Arc<dyn Store>,
    pub crypto: Crypto,
    pub access_tokens: AccessTokens,
    pub signer: TokenSigner,
    pub auth_limiter: IpLimiter,
    pub metrics: Metrics,
    pub payments: Arc<dyn PaymentProvider>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        crypto: Crypto,
        payments: Arc<dyn PaymentProvider>,
    ) -> Self {
        let access_tokens = AccessTokens::new(&crypto, settings.auth.access_token_ttl_secs);
        let signer = TokenSigner::new(store.clone(), crypto.clone());
        let auth_limiter = IpLimiter::new(settings.rate_limits.auth_requests_per_ip_per_minute);
        Self(Arc::new(Inner {
            settings,
            store,
            crypto,
            access_tokens,
            signer,
            auth_limiter,
            metrics: Metrics::default(),
            payments,
        }))
    }
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.backend())
    }
}
