//! `spawn_app()`: the real cloud (same `build` + `serve` as the binary) on port 0 with
//! a fresh database, plus typed request helpers.

use std::net::SocketAddr;

use chrono::{DateTime, Duration, DurationRound, Utc};
use gasq_cloud::App;
use gasq_cloud::app::accounts::{self, NewAccount};
use gasq_cloud::config::Settings;
use gasq_cloud::domain::Role;
use gasq_cloud::secret::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::db::TestDb;

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// The app under test, for arranging what the API cannot (staff accounts).
    pub app: App,
    shutdown: CancellationToken,
    _db: TestDb,
    _data: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A logged-in user of the test app.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
    pub refresh: String,
    pub user_id: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::sqlite()).await
}

pub async fn spawn_app_on(db: TestDb) -> TestApp {
    spawn_with(db, |_| {}).await
}

/// The master key of every test app (base64 of bytes 0..32), for CLI runs against
/// its database.
pub const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The scrape token of every test app (`metrics.token`): [`TestApp::scrape`] sends it.
pub const METRICS_TOKEN: &str = "test-scrape-token-0123456789";

pub async fn spawn_with(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let data = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        database_url: Some(db.url.clone()),
        data_dir: data.path().to_path_buf(),
        master_key: Some(Secret::new(MASTER_KEY)),
        ..Settings::default()
    };
    settings.metrics.token = Some(Secret::new(METRICS_TOKEN));
    tweak(&mut settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = gasq_cloud::build(settings).await.expect("build app");
    let shutdown = CancellationToken::new();
    tokio::spawn(gasq_cloud::serve(app.clone(), listener, shutdown.clone()));
    TestApp {
        addr,
        http: reqwest::Client::new(),
        app,
        shutdown,
        _db: db,
        _data: data,
    }
}

impl TestApp {
    /// Stops serving (a browser test's "network gone").
    pub fn stop(&self) {
        self.shutdown.cancel();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request; returns status and the body as JSON (or a JSON string for text).
    /// Changes station `id`'s settings as `staff`; the station as saved (a refusal fails
    /// the test).
    pub async fn patch_station(&self, staff: &Session, id: u64, body: Value) -> Value {
        let path = format!("/api/v1/stations/{id}");
        let (status, saved) = self
            .call(Method::PATCH, &path, Some(&staff.token), Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        saved
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        request(self, method, path, token, body).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// `GET /metrics` as Prometheus would, with the scrape token; the text it answers.
    pub async fn scrape(&self) -> String {
        let res = self
            .http
            .get(self.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("scrape");
        assert_eq!(res.status(), StatusCode::OK, "scrape /metrics");
        res.text().await.expect("metrics text")
    }

    pub async fn login(&self, login: &str, password: &str) -> Session {
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"login": login, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {login}: {body}");
        let me = self
            .get("/api/v1/me", body["access_token"].as_str())
            .await
            .1;
        Session {
            token: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            user_id: me["id"].as_str().unwrap().to_owned(),
        }
    }

    /// Registers a driver through the API and logs in.
    pub async fn driver(&self, n: u32) -> Session {
        let email = format!("driver{n}@example.in");
        let body = json!({"name": format!("Driver {n}"), "email": email, "phone": format!("98{n:08}"), "password": "driver-pass-1"});
        let (status, res) = self.post("/api/v1/auth/register", None, body).await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
        self.login(&email, "driver-pass-1").await
    }

    /// Creates a user of any role directly (as `gasq-cloud user add` does) and logs in.
    pub async fn user_with_role(&self, role: Role, tag: &str) -> Session {
        let email = format!("{tag}@example.in");
        let account = NewAccount {
            name: tag.into(),
            email: email.clone(),
            phone: None,
            password: Secret::new("staff-pass-1"),
            role,
            stations: Vec::new(),
        };
        accounts::create_account(&self.app, account)
            .await
            .expect("create account");
        self.login(&email, "staff-pass-1").await
    }

    /// A station made by a super admin, returned as JSON.
    /// A station of `lanes` lanes whose slots keep no room for forecast walk-ins, so that
    /// capacities do not depend on the hour a test runs at (the forecast's own tests
    /// turn the reserve on).
    pub async fn station(&self, admin: &Session, code: &str, lanes: u16) -> Value {
        let body = json!({"code": code, "name": format!("Station {code}"), "lat": 19.0, "lon": 72.8,
            "lanes": lanes, "walkin_reserve_max_percent": 0});
        let (status, res) = self
            .post("/api/v1/stations", Some(&admin.token), body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
        res
    }

    pub async fn vehicle(&self, driver: &Session, registration: &str) -> String {
        let (status, res) = self
            .post(
                "/api/v1/vehicles",
                Some(&driver.token),
                json!({"registration": registration}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{res}");
        res["id"].as_str().unwrap().to_owned()
    }
}

/// A slot start comfortably in the future, on the 15-minute grid.
pub fn future_slot(hours: i64) -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::minutes(15)).unwrap() + Duration::hours(hours)
}

/// A cloud the tests talk to over HTTP: the in-process [`TestApp`], or the real binary
/// (`served::Served`).
pub trait Cloud {
    fn base(&self) -> String;
    fn client(&self) -> reqwest::Client;
}

impl Cloud for TestApp {
    fn base(&self) -> String {
        self.url("")
    }
    fn client(&self) -> reqwest::Client {
        self.http.clone()
    }
}

/// Sends a request to `cloud`; returns status and the body as JSON (or a JSON string
/// for text).
pub async fn request(
    cloud: &impl Cloud,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = cloud
        .client()
        .request(method, format!("{}{path}", cloud.base()));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}
