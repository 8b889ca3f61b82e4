//! What the agent currently believes about its station: the configuration and the
//! token verification keys. Loaded from the database at start, replaced by sync.
//! Readers take a cheap snapshot per scan; sync swaps whole values.

use std::sync::{Arc, RwLock};

use gasq_shared::sync::StationConfig;
use gasq_shared::token::KeySet;

/// Shared, swappable station config and key set.
#[derive(Debug)]
pub struct Station {
    config: RwLock<Arc<StationConfig>>,
    keys: RwLock<Arc<KeySet>>,
}

impl Station {
    pub fn new(config: StationConfig, keys: KeySet) -> Self {
        Self {
            config: RwLock::new(Arc::new(config)),
            keys: RwLock::new(Arc::new(keys)),
        }
    }

    pub fn config(&self) -> Arc<StationConfig> {
        match self.config.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn keys(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn set_config(&self, config: StationConfig) {
        let mut guard = self.config.write().unwrap_or_else(|p| p.into_inner());
        *guard = Arc::new(config);
    }

    pub fn set_keys(&self, keys: KeySet) {
        let mut guard = self.keys.write().unwrap_or_else(|p| p.into_inner());
        *guard = Arc::new(keys);
    }
}
