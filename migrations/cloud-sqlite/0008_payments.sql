-- SQLite mirror of cloud-postgres/0008. Payments (docs/architecture.md, "Payments"): prices and refund policy per station, the
-- price a booking keeps, the payments Razorpay told us of, refunds (each requested once),
-- an append-only ledger of every money movement, webhook events already handled, and
-- the local test-mode gateway's own records.

-- "Fill to full" online pays for this much up front (12 kg); the fill settles the rest.
ALTER TABLE stations ADD COLUMN fill_to_full_centikg INTEGER NOT NULL DEFAULT 1200
    CHECK (fill_to_full_centikg BETWEEN 100 AND 10000);
-- Cancelled this long before the slot: refunded in full; later: less the fee; after the
-- slot started: nothing.
ALTER TABLE stations ADD COLUMN refund_cutoff_minutes INTEGER NOT NULL DEFAULT 60
    CHECK (refund_cutoff_minutes BETWEEN 0 AND 10080);
ALTER TABLE stations ADD COLUMN cancel_fee_paise BIGINT NOT NULL DEFAULT 2000
    CHECK (cancel_fee_paise >= 0);

-- Every price a station had, from when (the current one is also on the station row).
CREATE TABLE station_prices (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id          BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    price_paise_per_kg  BIGINT NOT NULL,
    from_at             TEXT NOT NULL,
    set_by              BLOB
);
CREATE INDEX station_prices_station ON station_prices (station_id, from_at);
INSERT INTO station_prices (station_id, price_paise_per_kg, from_at)
    SELECT id, price_paise_per_kg, created_at FROM stations;

-- The price of the booking's moment, and the payment that confirmed it.
ALTER TABLE bookings ADD COLUMN price_paise_per_kg BIGINT;
ALTER TABLE bookings ADD COLUMN payment_id TEXT;
ALTER TABLE bookings ADD COLUMN paid_paise BIGINT;
ALTER TABLE bookings ADD COLUMN paid_at TEXT;
CREATE UNIQUE INDEX bookings_payment_order ON bookings (payment_order_id)
    WHERE payment_order_id IS NOT NULL;

-- Each payment the gateway reported (checkout callback, webhook or reconciliation).
CREATE TABLE payments (
    id            TEXT PRIMARY KEY,
    booking_id    BLOB NOT NULL,
    station_id    BIGINT NOT NULL,
    order_id      TEXT NOT NULL,
    amount_paise  BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('authorized', 'captured', 'failed')),
    detail        TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX payments_booking ON payments (booking_id);
CREATE INDEX payments_authorized ON payments (updated_at) WHERE status = 'authorized';

-- A refund is requested once per payment and reason; the worker sends it (idempotency
-- key: id and generation) until the gateway takes it, and a `refund.failed` starts a
-- new generation.
CREATE TABLE refunds (
    id                 BLOB PRIMARY KEY,
    booking_id         BLOB NOT NULL,
    station_id         BIGINT NOT NULL,
    payment_id         TEXT NOT NULL,
    reason             TEXT NOT NULL,
    amount_paise       BIGINT NOT NULL CHECK (amount_paise > 0),
    status             TEXT NOT NULL CHECK (status IN ('requested', 'sent', 'processed', 'failed')),
    generation         INTEGER NOT NULL DEFAULT 0,
    attempts           INTEGER NOT NULL DEFAULT 0,
    gateway_refund_id  TEXT UNIQUE,
    last_error         TEXT,
    next_attempt_at    TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (payment_id, reason)
);
CREATE INDEX refunds_due ON refunds (next_attempt_at) WHERE status = 'requested';
CREATE INDEX refunds_booking ON refunds (booking_id);

-- Every money movement, never changed: a gateway fact (kind + its id) is entered once.
CREATE TABLE ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    station_id    BIGINT NOT NULL,
    booking_id    BLOB,
    kind          TEXT NOT NULL CHECK (kind IN ('order', 'payment', 'capture', 'payment_failed', 'refund', 'refund_failed', 'fee', 'gateway_fee')),
    amount_paise  BIGINT NOT NULL,
    gateway_ref   TEXT,
    actor         TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, gateway_ref)
);
CREATE INDEX ledger_station_at ON ledger (station_id, at);
CREATE INDEX ledger_booking ON ledger (booking_id);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;

-- Webhook deliveries handled, by the gateway's event id (duplicates are answered 200
-- and change nothing).
CREATE TABLE payment_webhook_events (
    event_id     TEXT PRIMARY KEY,
    event        TEXT NOT NULL,
    received_at  TEXT NOT NULL
);

-- A reconciliation case is raised once per subject (the job runs again and again).
ALTER TABLE reconciliation_cases ADD COLUMN subject TEXT;
CREATE UNIQUE INDEX reconciliation_subject ON reconciliation_cases (kind, subject)
    WHERE subject IS NOT NULL;

-- The local test-mode gateway (the embedded default, no Razorpay keys): what it would
-- hold on Razorpay's side, so reconciliation has something real to compare with.
CREATE TABLE test_gateway_orders (
    id            TEXT PRIMARY KEY,
    amount_paise  BIGINT NOT NULL,
    receipt       TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE test_gateway_payments (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL,
    amount_paise  BIGINT NOT NULL,
    status        TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX test_gateway_payments_order ON test_gateway_payments (order_id);
-- As at Razorpay, a paid order takes no second payment.
CREATE UNIQUE INDEX test_gateway_payments_paid ON test_gateway_payments (order_id)
    WHERE status = 'captured';
CREATE TABLE test_gateway_refunds (
    id               TEXT PRIMARY KEY,
    payment_id       TEXT NOT NULL,
    amount_paise     BIGINT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL
);
