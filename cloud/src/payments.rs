//! The payment-provider seam. A booking paid online gets an order from the provider
//! and holds its slot until the payment is confirmed or the hold lapses.
//!
//! The embedded default is [`TestModePayments`]: a clearly named local provider that
//! makes orders without charging anyone. The Razorpay client plugs in behind the same
//! trait.

use async_trait::async_trait;
use gasq_shared::BookingId;
use serde::Serialize;
use utoipa::ToSchema;

/// An order the driver pays against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PaymentOrder {
    /// Which provider made the order (`test_mode`, `razorpay`).
    pub provider: String,
    pub order_id: String,
    pub amount_paise: i64,
    pub currency: String,
}

/// Makes payment orders.
#[async_trait]
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &'static str;
    async fn create_order(
        &self,
        booking: BookingId,
        amount_paise: i64,
    ) -> anyhow::Result<PaymentOrder>;
}

/// Local test-mode provider: orders are made here and never charge anyone.
#[derive(Debug, Default)]
pub struct TestModePayments;

#[async_trait]
impl PaymentProvider for TestModePayments {
    fn name(&self) -> &'static str {
        "test_mode"
    }

    async fn create_order(
        &self,
        booking: BookingId,
        amount_paise: i64,
    ) -> anyhow::Result<PaymentOrder> {
        Ok(PaymentOrder {
            provider: self.name().into(),
            order_id: format!("order_test_{}", booking.0.simple()),
            amount_paise,
            currency: "INR".into(),
        })
    }
}
