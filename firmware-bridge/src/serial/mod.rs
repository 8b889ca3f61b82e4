//! Serial plumbing shared by the drivers: opening and reopening ports ([`port`]),
//! splitting byte streams into lines ([`lines`]), and a port as an async stream for
//! tokio-modbus ([`pipe`]). All blocking serial calls happen on dedicated threads.

pub mod lines;
pub mod pipe;
pub mod port;
