//! What the local test-mode gateway keeps on "its side": its orders, payment attempts
//! and refunds — in their own tables, apart from GasQ's ledger, so reconciliation in test
//! mode compares two real records, as it does against Razorpay.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::store::db::query;
use crate::store::{SqlStore, StoreError, StoreResult};

/// The test-mode gateway's records.
#[async_trait]
pub trait TestGatewayStore: Send + Sync {
    async fn tg_create_order(
        &self,
        id: &str,
        amount_paise: i64,
        receipt: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// An order's amount.
    async fn tg_order_amount(&self, id: &str) -> StoreResult<Option<i64>>;
    async fn tg_add_payment(
        &self,
        id: &str,
        order_id: &str,
        amount_paise: i64,
        status: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn tg_capture(&self, payment_id: &str) -> StoreResult<bool>;
    async fn tg_payments_of_order(&self, order_id: &str) -> StoreResult<Vec<TestGatewayPayment>>;
    async fn tg_payments_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TestGatewayPayment>>;
    /// Refunds processed that were made in `[from, to)`: (id, amount, payment id).
    async fn tg_refunds_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, i64, String)>>;
    /// A refund's status (`pending`, `processed`), with its amount.
    async fn tg_refund_status(&self, id: &str) -> StoreResult<Option<(String, i64)>>;
    /// Refunds still pending: (id, payment id, amount, GasQ's refund id).
    async fn tg_pending_refunds(&self) -> StoreResult<Vec<(String, String, i64, Option<String>)>>;
    /// Marks a pending refund processed.
    async fn tg_refund_processed(&self, id: &str) -> StoreResult<()>;
    /// Refunds `amount` of a payment under `key`: the refund already made with this key
    /// if there is one; `Conflict` when the payment cannot give that much back.
    async fn tg_refund(
        &self,
        new_id: &str,
        payment_id: &str,
        amount_paise: i64,
        key: &str,
        refund_ref: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<(String, i64)>;
}

/// A payment attempt as the test-mode gateway keeps it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TestGatewayPayment {
    pub id: String,
    pub order_id: String,
    pub amount_paise: i64,
    /// `captured` or `failed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// Refunded of it so far.
    pub refunded: i64,
}

const PAYMENTS: &str = "SELECT p.id, p.order_id, p.amount_paise, p.status, p.created_at, \
     COALESCE((SELECT SUM(r.amount_paise) FROM test_gateway_refunds r WHERE r.payment_id = p.id), 0) \
     AS refunded FROM test_gateway_payments p";

#[async_trait]
impl TestGatewayStore for SqlStore {
    async fn tg_create_order(
        &self,
        id: &str,
        amount_paise: i64,
        receipt: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let q = query(
            "INSERT INTO test_gateway_orders (id, amount_paise, receipt, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(amount_paise)
        .bind(receipt)
        .bind(now);
        self.db.execute(q).await?;
        Ok(())
    }

    async fn tg_order_amount(&self, id: &str) -> StoreResult<Option<i64>> {
        let q = query("SELECT amount_paise FROM test_gateway_orders WHERE id = $1").bind(id);
        let found: Option<(i64,)> = self.db.fetch_optional(q).await?;
        Ok(found.map(|(a,)| a))
    }

    async fn tg_add_payment(
        &self,
        id: &str,
        order_id: &str,
        amount_paise: i64,
        status: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let q = query(
            "INSERT INTO test_gateway_payments (id, order_id, amount_paise, status, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(order_id)
        .bind(amount_paise)
        .bind(status)
        .bind(now);
        self.db
            .execute(q)
            .await
            .map_err(|e| e.conflict_if_taken("the order is already paid"))?;
        Ok(())
    }

    async fn tg_capture(&self, payment_id: &str) -> StoreResult<bool> {
        let q = query(
            "UPDATE test_gateway_payments SET status = 'captured' \
             WHERE id = $1 AND status IN ('authorized', 'captured')",
        )
        .bind(payment_id);
        Ok(self.db.execute(q).await? > 0)
    }

    async fn tg_payments_of_order(&self, order_id: &str) -> StoreResult<Vec<TestGatewayPayment>> {
        let q = crate::store::db::Query::assembled(format!(
            "{PAYMENTS} WHERE p.order_id = $1 ORDER BY p.created_at"
        ))
        .bind(order_id);
        self.db.fetch_all(q).await
    }

    async fn tg_payments_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<TestGatewayPayment>> {
        let q = crate::store::db::Query::assembled(format!(
            "{PAYMENTS} WHERE p.created_at >= $1 AND p.created_at < $2 ORDER BY p.created_at"
        ))
        .bind(from)
        .bind(to);
        self.db.fetch_all(q).await
    }

    async fn tg_refunds_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(String, i64, String)>> {
        let q = query(
            "SELECT id, amount_paise, payment_id FROM test_gateway_refunds WHERE created_at >= $1 \
             AND created_at < $2 AND status = 'processed' ORDER BY created_at",
        )
        .bind(from)
        .bind(to);
        self.db.fetch_all(q).await
    }

    async fn tg_refund_status(&self, id: &str) -> StoreResult<Option<(String, i64)>> {
        let q =
            query("SELECT status, amount_paise FROM test_gateway_refunds WHERE id = $1").bind(id);
        self.db.fetch_optional(q).await
    }

    async fn tg_pending_refunds(&self) -> StoreResult<Vec<(String, String, i64, Option<String>)>> {
        let q = query(
            "SELECT id, payment_id, amount_paise, refund_ref FROM test_gateway_refunds \
             WHERE status = 'pending' ORDER BY created_at LIMIT 100",
        );
        self.db.fetch_all(q).await
    }

    async fn tg_refund_processed(&self, id: &str) -> StoreResult<()> {
        let q =
            query("UPDATE test_gateway_refunds SET status = 'processed' WHERE id = $1").bind(id);
        self.db.execute(q).await?;
        Ok(())
    }

    async fn tg_refund(
        &self,
        new_id: &str,
        payment_id: &str,
        amount_paise: i64,
        key: &str,
        refund_ref: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<(String, i64)> {
        let mut tx = self.db.begin().await?;
        let q =
            query("SELECT id, amount_paise FROM test_gateway_refunds WHERE idempotency_key = $1")
                .bind(key);
        if let Some(made) = tx.fetch_optional::<(String, i64)>(q).await? {
            return Ok(made);
        }
        let q = crate::store::db::Query::assembled(format!("{PAYMENTS} WHERE p.id = $1"))
            .bind(payment_id);
        let Some(payment) = tx.fetch_optional::<TestGatewayPayment>(q).await? else {
            return Err(StoreError::NotFound("payment"));
        };
        if payment.status != "captured" || payment.refunded + amount_paise > payment.amount_paise {
            return Err(StoreError::Conflict(
                "the payment is not captured, or cannot give back that much".into(),
            ));
        }
        tx.execute(
            query(
                "INSERT INTO test_gateway_refunds (id, payment_id, amount_paise, idempotency_key, \
                 created_at, status, refund_ref) VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
            )
            .bind(new_id)
            .bind(payment_id)
            .bind(amount_paise)
            .bind(key)
            .bind(now)
            .bind(refund_ref),
        )
        .await?;
        tx.commit().await?;
        Ok((new_id.to_owned(), amount_paise))
    }
}
