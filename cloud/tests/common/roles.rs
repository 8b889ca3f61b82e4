//! Who may call which route (the table the role matrix checks every served route
//! against), and a cast of users to call routes as: one per role, station staff
//! assigned to one station, and a booking of the driver's.

use gasq_cloud::domain::Role;
use serde_json::json;

use super::app::{Session, TestApp, future_slot};

/// Who a route admits.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone, no login.
    Public,
    /// Any logged-in user (ownership is checked inside, as 404).
    AnyUser,
    /// Only these roles; others get 403, anonymous 401.
    Roles(&'static [Role]),
    /// Edge devices (device JWT) only: every user, logged in or not, gets 401.
    Device,
    /// The holder of the scrape token (`metrics.token`) only: every user gets 401.
    Scraper,
    /// Twilio only (its request signature): everyone else, logged in or not, gets 403.
    Twilio,
}

use Access::{AnyUser, Device, Public, Roles, Scraper, Twilio};
use Role::{Driver, StationAdmin, SuperAdmin, Technician};

/// Every route the server answers, with who may call it.
pub const TABLE: &[(&str, &str, Access)] = &[
    ("POST", "/api/v1/auth/register", Public),
    ("POST", "/api/v1/auth/login", Public),
    ("POST", "/api/v1/auth/refresh", Public),
    ("POST", "/api/v1/auth/logout", Public),
    ("GET", "/api/v1/me", AnyUser),
    ("PATCH", "/api/v1/me", AnyUser),
    ("POST", "/api/v1/vehicles", Roles(&[Driver])),
    ("GET", "/api/v1/vehicles", Roles(&[Driver])),
    ("DELETE", "/api/v1/vehicles/{id}", Roles(&[Driver])),
    ("GET", "/api/v1/stations", Public),
    ("POST", "/api/v1/stations", Roles(&[SuperAdmin])),
    ("GET", "/api/v1/stations/{id}", Public),
    (
        "PATCH",
        "/api/v1/stations/{id}",
        Roles(&[StationAdmin, SuperAdmin]),
    ),
    ("POST", "/api/v1/stations/{id}/staff", Roles(&[SuperAdmin])),
    ("GET", "/api/v1/stations/{id}/slots", Public),
    ("GET", "/api/v1/stations/{id}/forecast", Public),
    ("POST", "/api/v1/bookings", Roles(&[Driver])),
    ("GET", "/api/v1/bookings", AnyUser),
    ("GET", "/api/v1/bookings/{id}", AnyUser),
    ("POST", "/api/v1/bookings/{id}/cancel", AnyUser),
    ("GET", "/api/v1/bookings/{id}/token", AnyUser),
    ("POST", "/api/v1/bookings/{id}/token/refresh", AnyUser),
    ("GET", "/api/v1/bookings/{id}/qr.svg", AnyUser),
    ("GET", "/api/v1/bookings/{id}/qr.png", AnyUser),
    ("GET", "/api/v1/token-keys", Public),
    ("GET", "/api/v1/bookings/{id}/receipt", AnyUser),
    ("POST", "/api/v1/payments/razorpay/verify", Public),
    ("POST", "/api/v1/sms/inbound", Twilio),
    ("POST", "/api/v1/ivr/voice", Twilio),
    ("POST", "/api/v1/waitlist", Roles(&[Driver])),
    ("GET", "/api/v1/waitlist", Roles(&[Driver])),
    ("POST", "/api/v1/waitlist/{id}/accept", Roles(&[Driver])),
    ("DELETE", "/api/v1/waitlist/{id}", Roles(&[Driver])),
    ("POST", "/api/v1/payments/razorpay/webhook", Public),
    (
        "GET",
        "/api/v1/stations/{id}/takings",
        Roles(&[StationAdmin, SuperAdmin]),
    ),
    (
        "GET",
        "/api/v1/stations/{id}/ledger.csv",
        Roles(&[StationAdmin, SuperAdmin]),
    ),
    (
        "GET",
        "/api/v1/stations/{id}/prices",
        Roles(&[StationAdmin, SuperAdmin]),
    ),
    (
        "POST",
        "/api/v1/stations/{id}/cases/{case_id}/resolve",
        Roles(&[StationAdmin, SuperAdmin]),
    ),
    ("GET", "/api/v1/audit", Roles(&[SuperAdmin])),
    ("GET", "/api/v1/notifications", Roles(&[SuperAdmin])),
    (
        "POST",
        "/api/v1/stations/{id}/enrollment-codes",
        Roles(&[StationAdmin, Technician, SuperAdmin]),
    ),
    (
        "GET",
        "/api/v1/stations/{id}/dashboard",
        Roles(&[StationAdmin, Technician, SuperAdmin]),
    ),
    (
        "GET",
        "/api/v1/stations/{id}/devices",
        Roles(&[StationAdmin, Technician, SuperAdmin]),
    ),
    (
        "POST",
        "/api/v1/edge/devices/{id}/revoke",
        Roles(&[StationAdmin, Technician, SuperAdmin]),
    ),
    ("POST", "/api/v1/edge/enroll", Public),
    ("GET", "/api/v1/edge/changes", Device),
    ("POST", "/api/v1/edge/events", Device),
    ("GET", "/healthz", Public),
    ("GET", "/readyz", Public),
    ("GET", "/metrics", Scraper),
];

/// The row of a served route; panics (failing the test) when it has none.
pub fn access(method: &str, path: &str) -> Access {
    let method = method.to_uppercase();
    match TABLE.iter().find(|(m, p, _)| *m == method && *p == path) {
        Some((_, _, access)) => *access,
        None => panic!("{method} {path} is served but has no row in the role table: add one"),
    }
}

/// One logged-in user per role, the station the staff are assigned to, and a
/// confirmed booking of the driver's there (of the driver's one vehicle).
pub struct Cast {
    pub station: u64,
    pub booking: String,
    pub vehicle: String,
    pub sessions: Vec<(Role, Session)>,
}

impl Cast {
    pub async fn new(app: &TestApp) -> Self {
        let root = app.user_with_role(SuperAdmin, "root").await;
        let station = app.station(&root, "MUM-0042", 2).await["id"]
            .as_u64()
            .unwrap();
        let mut sessions = Vec::new();
        for role in Role::ALL {
            let s = if role == SuperAdmin {
                root.clone()
            } else {
                app.user_with_role(role, role.as_str()).await
            };
            if matches!(role, StationAdmin | Technician) {
                let (status, body) = app
                    .post(
                        &format!("/api/v1/stations/{station}/staff"),
                        Some(&root.token),
                        json!({"user_id": s.user_id}),
                    )
                    .await;
                assert_eq!(status, 204, "{body}");
            }
            sessions.push((role, s));
        }
        let driver = sessions
            .iter()
            .find(|(r, _)| *r == Driver)
            .map(|(_, s)| s.clone())
            .unwrap();
        let vehicle = app.vehicle(&driver, "KA01AB1234").await;
        let body = json!({"station_id": station, "vehicle_id": vehicle, "slot_start": future_slot(3), "payment_method": "at_station"});
        let (status, booking) = app
            .post("/api/v1/bookings", Some(&driver.token), body)
            .await;
        assert_eq!(status, 201, "{booking}");
        Self {
            station,
            booking: booking["id"].as_str().unwrap().to_owned(),
            vehicle,
            sessions,
        }
    }

    pub fn session(&self, role: Role) -> &Session {
        &self
            .sessions
            .iter()
            .find(|(r, _)| *r == role)
            .expect("every role is cast")
            .1
    }

    /// `path` with its `{id}` filled with the cast's booking, vehicle or station (or a
    /// device nobody has).
    pub fn fill(&self, path: &str) -> String {
        let id = if path.starts_with("/api/v1/bookings") {
            self.booking.clone()
        } else if path.starts_with("/api/v1/vehicles") {
            self.vehicle.clone()
        } else if path.starts_with("/api/v1/edge/devices") {
            // No such device: allowed callers get 404, the rest 401 or 403 first.
            uuid::Uuid::now_v7().to_string()
        } else {
            self.station.to_string()
        };
        path.replace("{id}", &id)
    }
}
