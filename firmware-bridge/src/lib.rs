//! GasQ firmware bridge.
