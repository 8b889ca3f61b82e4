//! The rules settings must keep, checked once they are loaded: a bad value stops
//! startup with one line naming the setting and what to use instead.

use super::{ConfigError, Settings};

impl Settings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError(m.to_owned()));
        if !(60..=900).contains(&self.auth.access_token_ttl_secs) {
            return bad("auth.access_token_ttl_secs must be between 60 and 900");
        }
        if self.auth.refresh_token_ttl_days < 1 || self.auth.device_cookie_ttl_days < 1 {
            return bad(
                "auth.refresh_token_ttl_days and auth.device_cookie_ttl_days must be at least 1",
            );
        }
        if !(0..=60).contains(&self.auth.refresh_reuse_grace_secs) {
            return bad("auth.refresh_reuse_grace_secs must be between 0 and 60");
        }
        let r = &self.rate_limits;
        if r.login_failures_per_account < 1
            || r.login_failures_per_ip < 1
            || r.login_delay_secs < 1
            || r.login_failure_window_minutes < 1
        {
            return bad(
                "rate_limits.login_failures_per_account, login_failures_per_ip, login_delay_secs \
                 and login_failure_window_minutes must be at least 1",
            );
        }
        // Upper bounds keep the time arithmetic far from overflow.
        if r.login_delay_secs > 86_400 || r.login_failure_window_minutes > 10_080 {
            return bad("rate_limits.login_delay_secs is at most 86400 and \
                 login_failure_window_minutes at most 10080 (a week)");
        }
        if self.auth.device_cookie_ttl_days > 3650 || self.edge.change_log_retention_hours > 87_600
        {
            return bad("auth.device_cookie_ttl_days is at most 3650 and \
                 edge.change_log_retention_hours at most 87600 (ten years)");
        }
        if self.bookings.payment_hold_minutes < 1 || self.bookings.horizon_days < 1 {
            return bad(
                "bookings.payment_hold_minutes and bookings.horizon_days must be at least 1",
            );
        }
        if self.bookings.max_live_per_driver < 1 || self.bookings.max_per_driver_per_hour < 1 {
            return bad(
                "bookings.max_live_per_driver and bookings.max_per_driver_per_hour must be at least 1",
            );
        }
        if self.edge.enrollment_code_ttl_hours < 1 || self.edge.enrollment_attempts_per_code < 1 {
            return bad(
                "edge.enrollment_code_ttl_hours and edge.enrollment_attempts_per_code must be at least 1",
            );
        }
        if self.edge.change_log_retention_hours < 1 {
            return bad("edge.change_log_retention_hours must be at least 1");
        }
        if !(1..=5000).contains(&self.edge.change_page_size) {
            return bad("edge.change_page_size must be 1 to 5000");
        }
        if let Some(token) = &self.metrics.token
            && token.expose().trim().len() < 16
        {
            return bad("metrics.token must be at least 16 characters (a random secret)");
        }
        if self.razorpay.key_id.is_some() != self.razorpay.key_secret.is_some() {
            return bad(
                "razorpay.key_id and razorpay.key_secret go together: set both \
                 (GASQ_RAZORPAY_KEY_ID, GASQ_RAZORPAY_KEY_SECRET) or neither for test mode",
            );
        }
        if !(self.razorpay.base_url.starts_with("https://")
            || self.razorpay.base_url.starts_with("http://"))
        {
            return bad("razorpay.base_url must be an http:// or https:// URL");
        }
        if self.payments.worker_interval_secs < 1 || self.payments.reconcile_every_minutes < 1 {
            return bad(
                "payments.worker_interval_secs and payments.reconcile_every_minutes \
                 must be at least 1",
            );
        }
        let t = &self.twilio;
        let set = [
            t.account_sid.is_some(),
            t.auth_token.is_some(),
            t.from.is_some(),
        ];
        if set.iter().any(|s| *s) && !set.iter().all(|s| *s) {
            return bad(
                "twilio.account_sid, twilio.auth_token and twilio.from go together: set \
                 all three (GASQ_TWILIO_ACCOUNT_SID, GASQ_TWILIO_AUTH_TOKEN, GASQ_TWILIO_FROM) or \
                 none for the console",
            );
        }
        if !(1..=20).contains(&self.twilio.timeout_secs)
            || !(1..=60).contains(&self.razorpay.timeout_secs)
        {
            return bad("twilio.timeout_secs is 1 to 20 and razorpay.timeout_secs 1 to 60");
        }
        if !(1..=50).contains(&self.notifications.max_attempts)
            || self.notifications.worker_interval_secs < 1
        {
            return bad("notifications.max_attempts is 1 to 50 and \
                 notifications.worker_interval_secs at least 1");
        }
        if self.database_max_connections == 0 {
            return bad("database_max_connections must be at least 1");
        }
        if let Some(url) = &self.database_url
            && !(url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:"))
        {
            return bad("database_url must start with postgres://, postgresql:// or sqlite:");
        }
        Ok(())
    }
}
