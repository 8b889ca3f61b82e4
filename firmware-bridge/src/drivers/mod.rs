//! Device drivers. Serial devices (scanners, line-protocol dispensers, displays and
//! gates) each run on a dedicated thread; the Modbus driver and cameras are async tasks
//! whose blocking parts (the port, QR decoding) run off the runtime.

pub mod camera;
pub mod dispenser;
pub mod display;
pub mod scanner;
