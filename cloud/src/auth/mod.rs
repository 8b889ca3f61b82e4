//! Authentication and authorisation: passwords, access and refresh tokens, the
//! extractors that enforce roles, and rate limits.

pub mod device;
pub mod extract;
pub mod jwt;
pub mod password;
pub mod ratelimit;
pub mod refresh;

pub use extract::{
    Authorized, ClientIp, CurrentUser, Drivers, Provisioners, StationStaff, SuperAdmins,
};
