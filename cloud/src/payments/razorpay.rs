//! Razorpay over HTTP: Basic auth (key id, key secret) against `GASQ_RAZORPAY_BASE_URL`.
//!
//! Every call has a timeout and is retried with backoff when Razorpay is unavailable
//! (timeout, connection failure, 5xx, 429), never when it refused (other 4xx). What makes
//! each retry safe:
//! - orders: Razorpay does not deduplicate `POST /v1/orders`, so before a retry we look
//!   for an order already made with our receipt (`GET /v1/orders?receipt=<booking id>`);
//! - refunds: the `X-Refund-Idempotency` header, one key per refund attempt, which
//!   Razorpay documents as answering a retry with the refund already made;
//! - captures: capturing a captured payment answers 400 "already captured", which we
//!   take as done;
//! - look-ups (payments of an order, payments of a period, the settlement recon of a
//!   day) are reads.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{
    GatewayError, GatewayPayment, GatewayRefund, OrderRequest, PaymentGateway, PaymentOrder,
    RefundRequest, SettlementItem,
};
use crate::config::RazorpaySettings;
use crate::secret::Secret;

/// Attempts per call (the first and two retries).
const ATTEMPTS: u32 = 3;
/// The first retry waits this long; each next one four times as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Payments fetched per page when listing.
const PAGE: usize = 100;

/// The Razorpay client.
#[derive(Debug)]
pub struct RazorpayGateway {
    http: reqwest::Client,
    base: String,
    key_id: String,
    key_secret: Secret,
    webhook_secret: Option<Secret>,
}

impl RazorpayGateway {
    /// A client for the configured account; `None` without a key id and secret.
    pub fn from_settings(s: &RazorpaySettings) -> Option<Self> {
        let (key_id, key_secret) = (s.key_id.as_ref()?, s.key_secret.as_ref()?);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(s.timeout_secs.max(1)))
            .build()
            .ok()?;
        Some(Self {
            http,
            base: s.base_url.trim_end_matches('/').to_owned(),
            key_id: key_id.clone(),
            key_secret: key_secret.clone(),
            webhook_secret: s.webhook_secret.clone(),
        })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(&self.key_id, Some(self.key_secret.expose()))
    }

    /// Sends what `build` makes, retrying while Razorpay is unavailable; the JSON
    /// answer of the first 2xx.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<T, GatewayError> {
        let mut wait = FIRST_BACKOFF;
        let mut last = GatewayError::Unavailable(format!("{what}: not tried"));
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
            match self.once(what, build()).await {
                Ok(value) => return Ok(value),
                Err(e @ GatewayError::Refused(_)) => return Err(e),
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "razorpay {what} failed");
                    last = e;
                }
            }
        }
        Err(last)
    }

    async fn once<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        req: RequestBuilder,
    ) -> Result<T, GatewayError> {
        let response = req
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("{what}: {}", without_url(&e))))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| GatewayError::Unavailable(format!("{what}: {}", without_url(&e))))?;
        if status.is_success() {
            return serde_json::from_str(&body).map_err(|e| {
                GatewayError::Unavailable(format!("{what}: unexpected answer ({e})"))
            });
        }
        let description = error_description(&body);
        if status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            // A refund with this key still being processed: ask again.
            || status == StatusCode::CONFLICT
        {
            Err(GatewayError::Unavailable(format!(
                "{what}: {status} {description}"
            )))
        } else {
            Err(GatewayError::Refused(format!(
                "{what}: {status} {description}"
            )))
        }
    }

    async fn order_by_receipt(&self, receipt: &str) -> Result<Option<OrderEntity>, GatewayError> {
        let found: Collection<OrderEntity> = self
            .call("order look-up", || {
                self.request(Method::GET, "/v1/orders")
                    .query(&[("receipt", receipt)])
            })
            .await?;
        Ok(found.items.into_iter().next())
    }
}

/// Razorpay's error body: `{"error":{"code":…,"description":…}}`.
fn error_description(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["description"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// What went wrong with a request, without its URL (nothing a log line needs).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_owned(),
    }
}

#[derive(Debug, Deserialize)]
struct Collection<T> {
    items: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct OrderEntity {
    id: String,
    amount: i64,
    currency: String,
}

#[async_trait]
impl PaymentGateway for RazorpayGateway {
    fn name(&self) -> &'static str {
        "razorpay"
    }

    fn checkout_key_id(&self) -> Option<&str> {
        Some(&self.key_id)
    }

    fn key_secret(&self) -> &Secret {
        &self.key_secret
    }

    fn webhook_secret(&self) -> Option<&Secret> {
        self.webhook_secret.as_ref()
    }

    async fn create_order(&self, o: OrderRequest) -> Result<PaymentOrder, GatewayError> {
        let receipt = o.booking.to_string();
        let body = json!({
            "amount": o.amount_paise,
            "currency": "INR",
            "receipt": receipt,
            "notes": { "booking_id": receipt, "station_id": o.station.to_string() },
            // Captured as soon as it is authorized; a late authorization is captured
            // by the payments pass.
            "payment_capture": true,
        });
        let mut wait = FIRST_BACKOFF;
        let mut last = GatewayError::Unavailable("order: not tried".into());
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(wait).await;
                wait *= 4;
                // The failed attempt may have made the order: never make a second.
                if let Ok(Some(made)) = self.order_by_receipt(&receipt).await {
                    return Ok(order(made));
                }
            }
            let sent = self
                .once::<OrderEntity>(
                    "order",
                    self.request(Method::POST, "/v1/orders").json(&body),
                )
                .await;
            match sent {
                Ok(made) => return Ok(order(made)),
                Err(e @ GatewayError::Refused(_)) => return Err(e),
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "razorpay order failed");
                    last = e;
                }
            }
        }
        Err(last)
    }

    async fn capture(&self, payment_id: &str, amount_paise: i64) -> Result<(), GatewayError> {
        let path = format!("/v1/payments/{payment_id}/capture");
        let body = json!({ "amount": amount_paise, "currency": "INR" });
        let done: Result<serde_json::Value, _> = self
            .call("capture", || self.request(Method::POST, &path).json(&body))
            .await;
        match done {
            Ok(_) => Ok(()),
            Err(GatewayError::Refused(m)) if m.contains("already been captured") => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn refund(&self, r: &RefundRequest) -> Result<GatewayRefund, GatewayError> {
        let path = format!("/v1/payments/{}/refund", r.payment_id);
        let body = json!({
            "amount": r.amount_paise,
            "speed": "normal",
            "receipt": r.refund_id.to_string(),
            "notes": { "refund_id": r.refund_id.to_string(), "booking_id": r.booking.to_string() },
        });
        self.call("refund", || {
            self.request(Method::POST, &path)
                .header("X-Refund-Idempotency", &r.idempotency_key)
                .json(&body)
        })
        .await
    }

    async fn refund_status(
        &self,
        payment_id: &str,
        refund_id: &str,
    ) -> Result<GatewayRefund, GatewayError> {
        let path = format!("/v1/payments/{payment_id}/refunds/{refund_id}");
        self.call("refund status", || self.request(Method::GET, &path))
            .await
    }

    async fn order_payments(&self, order_id: &str) -> Result<Vec<GatewayPayment>, GatewayError> {
        let path = format!("/v1/orders/{order_id}/payments");
        let found: Collection<GatewayPayment> = self
            .call("order payments", || self.request(Method::GET, &path))
            .await?;
        Ok(found.items)
    }

    async fn payments_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<GatewayPayment>, GatewayError> {
        let mut all = Vec::new();
        loop {
            let query = [
                ("from", from.timestamp().to_string()),
                // Razorpay's `to` is inclusive.
                ("to", (to.timestamp() - 1).to_string()),
                ("count", PAGE.to_string()),
                ("skip", all.len().to_string()),
            ];
            let page: Collection<GatewayPayment> = self
                .call("payments", || {
                    self.request(Method::GET, "/v1/payments").query(&query)
                })
                .await?;
            let n = page.items.len();
            all.extend(page.items);
            if n < PAGE {
                return Ok(all);
            }
        }
    }

    async fn settlement_items(&self, day: NaiveDate) -> Result<Vec<SettlementItem>, GatewayError> {
        let mut all = Vec::new();
        loop {
            let query = [
                ("year", day.year().to_string()),
                ("month", day.month().to_string()),
                ("day", day.day().to_string()),
                ("count", PAGE.to_string()),
                ("skip", all.len().to_string()),
            ];
            let page: Collection<SettlementItem> = self
                .call("settlement recon", || {
                    self.request(Method::GET, "/v1/settlements/recon/combined")
                        .query(&query)
                })
                .await?;
            let n = page.items.len();
            all.extend(page.items);
            if n < PAGE {
                return Ok(all);
            }
        }
    }
}

fn order(made: OrderEntity) -> PaymentOrder {
    PaymentOrder {
        provider: "razorpay".into(),
        order_id: made.id,
        amount_paise: made.amount,
        currency: made.currency,
    }
}
