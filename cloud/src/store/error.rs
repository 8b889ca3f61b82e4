//! [`StoreError`]: what can go wrong in the store, and the one place that turns a
//! database's constraint violations into it.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Stored data that does not decode.
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }

    /// A unique-constraint violation becomes `Conflict(msg)`; anything else stays.
    pub(crate) fn conflict_if_taken(self, msg: &str) -> Self {
        match self.constraint() {
            Some(Constraint::Unique) => Self::Conflict(msg.to_owned()),
            _ => self,
        }
    }

    /// A foreign-key violation becomes `NotFound(what)`: the row it named is gone.
    pub(crate) fn not_found_if_missing(self, what: &'static str) -> Self {
        match self.constraint() {
            Some(Constraint::ForeignKey) => Self::NotFound(what),
            _ => self,
        }
    }

    fn constraint(&self) -> Option<Constraint> {
        let Self::Database(e) = self else { return None };
        let d = e.as_database_error()?;
        if d.is_unique_violation() {
            Some(Constraint::Unique)
        } else if d.is_foreign_key_violation() {
            Some(Constraint::ForeignKey)
        } else {
            None
        }
    }
}

enum Constraint {
    Unique,
    ForeignKey,
}
