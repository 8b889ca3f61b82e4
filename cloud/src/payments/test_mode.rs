//! The local test-mode gateway — the embedded default when no Razorpay keys are set.
//! It charges nobody. It keeps its own orders, payment attempts and refunds (in its
//! own tables), signs its checkout callbacks with a local key secret and its webhooks
//! with a local webhook secret (both derived from the master key), and shapes both as
//! Razorpay does — so the verify path, the webhook handler, refunds and reconciliation
//! run the same code in test mode as against Razorpay.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde_json::json;

use super::signature;
use super::{
    GatewayError, GatewayPayment, GatewayRefund, OrderRequest, PaymentGateway, PaymentOrder,
    RefundRequest, SettlementItem,
};
use crate::crypto::Crypto;
use crate::secret::Secret;
use crate::store::payments::test_gateway::TestGatewayPayment;
use crate::store::{Store, StoreError};

/// The local gateway.
#[derive(Debug)]
pub struct TestModeGateway {
    store: Arc<dyn Store>,
    key_secret: Secret,
    webhook_secret: Secret,
}

/// A webhook as the gateway would deliver it: its event id, raw body and signature.
#[derive(Debug, Clone)]
pub struct SignedWebhook {
    pub event_id: String,
    pub body: Vec<u8>,
    pub signature: String,
}

/// What pressing Pay or Fail on the test checkout page produced: the checkout callback
/// (on success) and the webhook the gateway sends.
#[derive(Debug, Clone)]
pub struct TestPayment {
    pub order_id: String,
    pub payment_id: String,
    /// `order_id|payment_id` signed with the key secret; `None` for a failed payment.
    pub signature: Option<String>,
    pub webhook: SignedWebhook,
}

impl TestModeGateway {
    pub fn new(store: Arc<dyn Store>, crypto: &Crypto) -> Self {
        Self {
            store,
            key_secret: Secret::new(crypto.local_provider_secret("key secret")),
            webhook_secret: Secret::new(crypto.local_provider_secret("webhook secret")),
        }
    }

    /// A payment attempt against `order_id`, as if the driver paid (or their bank
    /// declined) in Checkout.
    pub async fn pay(&self, order_id: &str, succeed: bool) -> Result<TestPayment, GatewayError> {
        let amount = self
            .store
            .tg_order_amount(order_id)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| GatewayError::Refused(format!("no order {order_id}")))?;
        let payment_id = id("pay_test_");
        let now = Utc::now();
        let status = if succeed { "captured" } else { "failed" };
        match self
            .store
            .tg_add_payment(&payment_id, order_id, amount, status, now)
            .await
        {
            Ok(()) => {}
            Err(e @ StoreError::Conflict(_)) => return Err(GatewayError::Refused(e.to_string())),
            Err(e) => return Err(unavailable(e)),
        }
        let (event, error) = if succeed {
            ("payment.captured", serde_json::Value::Null)
        } else {
            (
                "payment.failed",
                json!("Payment declined by the bank (test mode: the Fail button)"),
            )
        };
        let payment = json!({
            "id": payment_id, "entity": "payment", "amount": amount, "currency": "INR",
            "status": status, "order_id": order_id, "method": "upi", "captured": succeed,
            "amount_refunded": 0, "error_description": error, "created_at": now.timestamp(),
        });
        let webhook = self.webhook(event, json!({ "payment": { "entity": payment } }), now);
        let signature = succeed.then(|| {
            signature::sign(
                self.key_secret.expose(),
                &signature::checkout_message(order_id, &payment_id),
            )
        });
        Ok(TestPayment {
            order_id: order_id.to_owned(),
            payment_id,
            signature,
            webhook,
        })
    }

    /// The bank took back the refunds still pending: each one's `refund.processed`
    /// webhook, to deliver as Razorpay would (its event id fixed per refund, so a second
    /// delivery is a duplicate), with the refund to mark processed once it was handled.
    pub async fn processed_refunds(&self) -> Result<Vec<(String, SignedWebhook)>, GatewayError> {
        let pending = self.store.tg_pending_refunds().await.map_err(unavailable)?;
        let now = Utc::now();
        Ok(pending
            .into_iter()
            .map(|(id, payment, amount, ours)| {
                let refund = json!({
                    "id": id, "entity": "refund", "amount": amount, "currency": "INR",
                    "payment_id": payment, "status": "processed", "speed_processed": "normal",
                    "notes": { "refund_id": ours }, "created_at": now.timestamp(),
                });
                let mut hook = self.webhook(
                    "refund.processed",
                    json!({ "refund": { "entity": refund } }),
                    now,
                );
                hook.event_id = format!("evt_test_refund_{id}");
                (id, hook)
            })
            .collect())
    }

    /// Marks a refund processed once its webhook was handled.
    pub async fn refund_done(&self, id: &str) -> Result<(), GatewayError> {
        self.store
            .tg_refund_processed(id)
            .await
            .map_err(unavailable)
    }

    /// A webhook event of `event` with `payload`, signed as the gateway signs.
    pub fn webhook(
        &self,
        event: &str,
        payload: serde_json::Value,
        now: DateTime<Utc>,
    ) -> SignedWebhook {
        let contains: Vec<&String> = payload
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        let body = json!({
            "entity": "event", "account_id": "acc_gasq_test_mode", "event": event,
            "contains": contains, "payload": payload, "created_at": now.timestamp(),
        })
        .to_string()
        .into_bytes();
        SignedWebhook {
            event_id: id("evt_test_"),
            signature: signature::sign(self.webhook_secret.expose(), &body),
            body,
        }
    }
}

/// A gateway-style id: a prefix and 14 random letters and digits.
fn id(prefix: &str) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(14)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

/// A kept payment as Razorpay would report it (fully refunded: `refunded`).
fn as_gateway(p: TestGatewayPayment) -> GatewayPayment {
    let status = if p.refunded >= p.amount_paise && p.status == "captured" {
        "refunded".to_owned()
    } else {
        p.status
    };
    GatewayPayment {
        id: p.id,
        order_id: Some(p.order_id),
        amount: p.amount_paise,
        status,
        amount_refunded: p.refunded,
        created_at: p.created_at.timestamp(),
    }
}

fn unavailable(e: StoreError) -> GatewayError {
    GatewayError::Unavailable(format!("test-mode gateway: {e}"))
}

#[async_trait]
impl PaymentGateway for TestModeGateway {
    fn name(&self) -> &'static str {
        "test_mode"
    }

    fn checkout_key_id(&self) -> Option<&str> {
        None
    }

    fn key_secret(&self) -> &Secret {
        &self.key_secret
    }

    fn webhook_secret(&self) -> Option<&Secret> {
        Some(&self.webhook_secret)
    }

    async fn create_order(&self, o: OrderRequest) -> Result<PaymentOrder, GatewayError> {
        let order_id = id("order_test_");
        self.store
            .tg_create_order(
                &order_id,
                o.amount_paise,
                &o.booking.to_string(),
                Utc::now(),
            )
            .await
            .map_err(unavailable)?;
        Ok(PaymentOrder {
            provider: self.name().into(),
            order_id,
            amount_paise: o.amount_paise,
            currency: "INR".into(),
        })
    }

    async fn capture(&self, payment_id: &str, _amount_paise: i64) -> Result<(), GatewayError> {
        match self
            .store
            .tg_capture(payment_id)
            .await
            .map_err(unavailable)?
        {
            true => Ok(()),
            false => Err(GatewayError::Refused(format!(
                "payment {payment_id} cannot be captured"
            ))),
        }
    }

    async fn refund(&self, r: &RefundRequest) -> Result<GatewayRefund, GatewayError> {
        let made = self
            .store
            .tg_refund(
                &id("rfnd_test_"),
                &r.payment_id,
                r.amount_paise,
                &r.idempotency_key,
                &r.refund_id.to_string(),
                Utc::now(),
            )
            .await;
        match made {
            // Pending, as at Razorpay: `process_refunds` finishes it and says so by webhook.
            Ok((id, amount)) => Ok(GatewayRefund {
                id,
                status: "pending".into(),
                amount,
            }),
            Err(e @ (StoreError::Conflict(_) | StoreError::NotFound(_))) => {
                Err(GatewayError::Refused(e.to_string()))
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn refund_status(
        &self,
        _payment_id: &str,
        refund_id: &str,
    ) -> Result<GatewayRefund, GatewayError> {
        let found = self
            .store
            .tg_refund_status(refund_id)
            .await
            .map_err(unavailable)?;
        let (status, amount) =
            found.ok_or_else(|| GatewayError::Refused(format!("no refund {refund_id}")))?;
        Ok(GatewayRefund {
            id: refund_id.to_owned(),
            status,
            amount,
        })
    }

    async fn order_payments(&self, order_id: &str) -> Result<Vec<GatewayPayment>, GatewayError> {
        let kept = self
            .store
            .tg_payments_of_order(order_id)
            .await
            .map_err(unavailable)?;
        Ok(kept.into_iter().map(as_gateway).collect())
    }

    async fn payments_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<GatewayPayment>, GatewayError> {
        let kept = self
            .store
            .tg_payments_between(from, to)
            .await
            .map_err(unavailable)?;
        Ok(kept.into_iter().map(as_gateway).collect())
    }

    /// The local gateway settles each captured payment and each refund the day it is
    /// made, without fees.
    async fn settlement_items(&self, day: NaiveDate) -> Result<Vec<SettlementItem>, GatewayError> {
        let from = day.and_time(NaiveTime::MIN).and_utc();
        let to = from + Duration::days(1);
        let payments = self.payments_between(from, to).await?;
        let mut items: Vec<SettlementItem> = payments
            .iter()
            .filter(|p| p.succeeded())
            .map(|p| SettlementItem {
                entity_id: p.id.clone(),
                kind: "payment".into(),
                amount: p.amount,
                fee: 0,
                settled: true,
                payment_id: None,
            })
            .collect();
        let refunds = self
            .store
            .tg_refunds_between(from, to)
            .await
            .map_err(unavailable)?;
        items.extend(
            refunds
                .into_iter()
                .map(|(id, amount, payment)| SettlementItem {
                    entity_id: id,
                    kind: "refund".into(),
                    amount,
                    fee: 0,
                    settled: true,
                    payment_id: Some(payment),
                }),
        );
        Ok(items)
    }
}
