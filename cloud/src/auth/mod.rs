//! Authentication primitives, without HTTP: password hashing, access tokens (JWT),
//! refresh tokens, device cookies of browsers and apps that signed in before, edge
//! devices' JWTs, and the per-address rate limiter. The HTTP
//! extractors that use them are in `api::extract`.

pub mod device;
pub mod device_cookie;
pub mod jwt;
pub mod password;
pub mod ratelimit;
pub mod refresh;
