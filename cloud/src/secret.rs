//! Configured secrets: see [`gasq_shared::secret::Secret`].

pub use gasq_shared::secret::Secret;
