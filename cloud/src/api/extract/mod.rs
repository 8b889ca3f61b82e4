//! What handlers take from a request. A handler's signature says who may call it:
//!
//! - [`Actor`](crate::domain::Actor): any logged-in user (401 without a valid access
//!   token).
//! - [`Authorized<R>`]: a user whose role is in the set `R` (403 otherwise), e.g.
//!   `Authorized<SuperAdmins>`. Station scoping is the use case's check
//!   (`app::access`).
//! - [`EdgeDevice`]: an enrolled edge box, from its device JWT.
//! - [`Scraper`]: Prometheus, with the configured scrape token (`metrics.token`).
//! - [`ClientIp`]: the caller's address, for rate limits and the audit log.
//!
//! [`ApiJson`], [`ApiPath`] and [`ApiQuery`] are axum's extractors with problem+json
//! rejections.

mod callers;
mod device;
mod json;
mod scraper;

pub use callers::{
    Authorized, ClientIp, Drivers, Provisioners, RoleSet, StationStaff, SuperAdmins,
};
pub use device::EdgeDevice;
pub use json::{ApiJson, ApiPath, ApiQuery};
pub use scraper::Scraper;
