//! A test edge device: an Ed25519 key, enrollment, and device JWTs, as `gasq-edge`
//! makes them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use gasq_shared::sync::{DEVICE_JWT_AUDIENCE, DeviceClaims};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use reqwest::Method;

use super::app::{Cloud, Session, TestApp, request};

pub struct TestDevice {
    pub key: SigningKey,
    pub id: String,
    pub enrollment: Value,
}

impl TestDevice {
    /// A one-time enrollment code for `station`, made by `staff`.
    pub async fn code(app: &TestApp, staff: &Session, station: u64) -> String {
        let (status, code) = app
            .post(
                &format!("/api/v1/stations/{station}/enrollment-codes"),
                Some(&staff.token),
                json!({}),
            )
            .await;
        assert_eq!(status, 201, "{code}");
        code["code"].as_str().unwrap().to_owned()
    }

    /// Makes a code as `staff` and enrolls a new device with it.
    pub async fn enroll(app: &TestApp, staff: &Session, station: u64) -> Self {
        let code = Self::code(app, staff, station).await;
        Self::enroll_with(app, &code).await.expect("enrolls")
    }

    pub async fn enroll_with(app: &impl Cloud, code: &str) -> Result<Self, (u16, Value)> {
        Self::enroll_as(app, json!({"code": code})).await
    }

    /// Enrolls with `code` as the box that was `old` before (`gasq-edge enroll --force`).
    pub async fn enroll_replacing(
        app: &impl Cloud,
        code: &str,
        old: &str,
    ) -> Result<Self, (u16, Value)> {
        Self::enroll_as(app, json!({"code": code, "replaces": old})).await
    }

    async fn enroll_as(app: &impl Cloud, mut body: Value) -> Result<Self, (u16, Value)> {
        let key = SigningKey::from_bytes(&rand::random());
        let fields = json!({"public_key": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()), "hostname": "box-1", "version": "test"});
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let (status, res) =
            request(app, Method::POST, "/api/v1/edge/enroll", None, Some(body)).await;
        if status != 200 {
            return Err((status.as_u16(), res));
        }
        Ok(Self {
            key,
            id: res["device_id"].as_str().unwrap().to_owned(),
            enrollment: res,
        })
    }

    pub fn jwt(&self) -> String {
        self.jwt_for(DEVICE_JWT_AUDIENCE, 300)
    }

    pub fn jwt_for(&self, aud: &str, ttl: i64) -> String {
        let now = Utc::now().timestamp();
        let claims = DeviceClaims {
            sub: self.id.clone(),
            aud: aud.into(),
            iat: now,
            exp: now + ttl,
        };
        let der = self.key.to_pkcs8_der().unwrap();
        jsonwebtoken::encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &EncodingKey::from_ed_der(der.as_bytes()),
        )
        .unwrap()
    }

    pub async fn pull(&self, app: &TestApp, since: i64) -> Value {
        let (status, body) = app
            .get(
                &format!("/api/v1/edge/changes?since={since}&outbox_depth=3"),
                Some(&self.jwt()),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// A pull the cloud may hold up to `wait` seconds for a change.
    pub async fn pull_waiting(&self, app: &TestApp, since: i64, wait: u64) -> Value {
        let (status, body) = app
            .get(
                &format!("/api/v1/edge/changes?since={since}&wait={wait}"),
                Some(&self.jwt()),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn push(&self, app: &impl Cloud, events: Value) -> (u16, Value) {
        let body = json!({ "events": events });
        let (status, body) = request(
            app,
            Method::POST,
            "/api/v1/edge/events",
            Some(&self.jwt()),
            Some(body),
        )
        .await;
        (status.as_u16(), body)
    }
}

/// An edge event of `kind` (its fields as JSON), numbered `seq`, made now.
pub fn event(seq: i64, kind: Value) -> Value {
    let mut e = json!({"id": uuid::Uuid::now_v7(), "seq": seq, "at": chrono::Utc::now()});
    e.as_object_mut()
        .unwrap()
        .extend(kind.as_object().unwrap().clone());
    e
}
