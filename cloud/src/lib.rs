//! GasQ cloud.
