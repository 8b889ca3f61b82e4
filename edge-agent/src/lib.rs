//! GasQ edge agent.
