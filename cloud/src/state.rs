//! What every HTTP handler gets: the [`App`] (the use cases' services), plus what only
//! the HTTP layer needs — the per-address limiter of the auth routes and the metrics.

use std::sync::Arc;

use crate::app::App;
use crate::auth::ratelimit::IpLimiter;
use crate::metrics::Metrics;

/// Cheap to clone. Dereferences to the [`App`].
#[derive(Clone, Debug)]
pub struct AppState {
    pub app: App,
    pub auth_limiter: Arc<IpLimiter>,
    pub metrics: Arc<Metrics>,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    pub fn new(app: App) -> Self {
        let per_minute = app.settings.rate_limits.auth_requests_per_ip_per_minute;
        Self {
            auth_limiter: Arc::new(IpLimiter::new(per_minute)),
            metrics: Arc::new(Metrics::default()),
            app,
        }
    }
}
