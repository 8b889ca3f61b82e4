//! Settings worked out from others: the public address and the database in effect.

use super::Settings;

impl Settings {
    /// The address drivers and Twilio reach this cloud at, without a trailing `/`: the
    /// public URL, else this server's listen address (fine on one machine, wrong behind
    /// a proxy: startup warns).
    pub fn public_base(&self) -> String {
        self.public_url.as_ref().map_or_else(
            || format!("http://{}", self.listen),
            |url| url.trim_end_matches('/').to_owned(),
        )
    }

    /// The database URL in effect: the configured one, or the embedded SQLite file.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("gasq.sqlite").display()),
        }
    }
}
