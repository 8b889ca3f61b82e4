-- gasq-edge local database, version 1. Never edit once released: add 0002_*.sql instead.
-- Times are RFC 3339 text (UTC) unless named *_unix (seconds since the epoch).

-- Small typed values: identity, station config, key set, sync cursor and health.
CREATE TABLE kv (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Bookings the cloud told us about (a cache: a full resync replaces it).
CREATE TABLE bookings (
    id                TEXT PRIMARY KEY,
    code              TEXT NOT NULL,
    vehicle           TEXT,
    slot_start        TEXT NOT NULL,
    slot_end          TEXT NOT NULL,
    valid_from_unix   INTEGER NOT NULL,
    valid_until_unix  INTEGER NOT NULL,
    quantity_centikg  INTEGER NOT NULL,
    prepaid           INTEGER NOT NULL
);
CREATE INDEX bookings_by_code ON bookings (code);

-- Cancelled, refunded or expired bookings: their tokens are refused (a cache, like bookings).
CREATE TABLE revocations (
    booking_id TEXT PRIMARY KEY,
    synced_at  TEXT NOT NULL
);

-- IMPORTANT: the primary key is the one-time guarantee. Inserting the row *is* the
-- decision to accept; a conflict means already used. Never cleared by a resync.
CREATE TABLE redemptions (
    booking_id  TEXT PRIMARY KEY,
    lane        INTEGER,
    known       INTEGER NOT NULL,
    via         TEXT NOT NULL,
    redeemed_at TEXT NOT NULL
);

-- Events waiting for the cloud's ack. seq is the edge's order (AUTOINCREMENT: never reused).
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    at         TEXT NOT NULL,
    body       TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);

-- Events the cloud will never take: kept for the technician, never retried.
CREATE TABLE quarantine (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    at             TEXT NOT NULL,
    body           TEXT NOT NULL,
    reason         TEXT NOT NULL,
    quarantined_at TEXT NOT NULL
);
