//! Who acts: a user's [`Role`], and the [`Actor`] behind a request — for access checks
//! and the audit log.

use std::fmt;
use std::net::IpAddr;

use gasq_shared::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who a user is to GasQ. Station admins and technicians act only on the stations
/// assigned to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Driver,
    StationAdmin,
    Technician,
    SuperAdmin,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Driver,
        Role::StationAdmin,
        Role::Technician,
        Role::SuperAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Driver => "driver",
            Self::StationAdmin => "station_admin",
            Self::Technician => "technician",
            Self::SuperAdmin => "super_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who does something: a logged-in user and the address they came from — for access
/// checks and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
    pub ip: Option<IpAddr>,
}
