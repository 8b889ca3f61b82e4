-- The local test-mode gateway's refunds go through `pending` to `processed` as
-- Razorpay's do, and tell GasQ by a `refund.processed` webhook (docs/architecture.md,
-- "Payments"). Refunds made before this were processed at once.
ALTER TABLE test_gateway_refunds ADD COLUMN status TEXT NOT NULL DEFAULT 'processed';
-- GasQ's own refund id, sent back in the webhook's notes as Razorpay does.
ALTER TABLE test_gateway_refunds ADD COLUMN refund_ref TEXT;
