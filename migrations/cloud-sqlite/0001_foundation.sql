-- GasQ cloud, SQLite (the embedded default; mirrors cloud-postgres/0001): users, stations, vehicles, slots, bookings, keys, audit.
-- Released migrations are never edited; add a new file instead.

CREATE TABLE users (
    id              BLOB PRIMARY KEY,
    name            TEXT NOT NULL,
    -- Personal data is encrypted (AES-GCM); the *_hash columns are keyed hashes for look-ups.
    email_enc       BLOB NOT NULL,
    email_hash      BLOB NOT NULL UNIQUE,
    phone_enc       BLOB,
    phone_hash      BLOB UNIQUE,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('driver', 'station_admin', 'technician', 'super_admin')),
    created_at      TEXT NOT NULL
);

CREATE TABLE stations (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id BETWEEN 1 AND 4294967295),
    code                 TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    lat                  REAL NOT NULL,
    lon                  REAL NOT NULL,
    lanes                INTEGER NOT NULL CHECK (lanes BETWEEN 1 AND 64),
    lanes_down           INTEGER NOT NULL DEFAULT 0 CHECK (lanes_down >= 0),
    slot_minutes         INTEGER NOT NULL,
    service_minutes      INTEGER NOT NULL,
    timezone             TEXT NOT NULL,
    open_minute          INTEGER NOT NULL,
    close_minute         INTEGER NOT NULL,
    early_grace_minutes  INTEGER NOT NULL,
    late_grace_minutes   INTEGER NOT NULL,
    price_paise_per_kg   BIGINT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

-- Which stations a station admin or technician may act on.
CREATE TABLE user_stations (
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    station_id  BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, station_id)
);

CREATE TABLE refresh_tokens (
    token_hash  BLOB PRIMARY KEY,
    family_id   BLOB NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    revoked_at  TEXT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE login_failures (
    account_hash  BLOB NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account_hash, at);

CREATE TABLE vehicles (
    id            BLOB PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    registration  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (user_id, registration)
);

-- Live bookings per slot. `held` counts confirmed + held-for-payment bookings and is
-- only ever raised by a conditional UPDATE (held < capacity): invariant 1.
CREATE TABLE slot_loads (
    station_id  BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    slot_start  TEXT NOT NULL,
    capacity    INTEGER NOT NULL,
    held        INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    PRIMARY KEY (station_id, slot_start)
);

CREATE TABLE bookings (
    id                BLOB PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    user_id           BLOB NOT NULL REFERENCES users (id),
    vehicle_id        BLOB REFERENCES vehicles (id) ON DELETE SET NULL,
    registration      TEXT,
    station_id        BIGINT NOT NULL REFERENCES stations (id),
    slot_start        TEXT NOT NULL,
    slot_end          TEXT NOT NULL,
    quantity_centikg  INTEGER NOT NULL,
    payment_method    TEXT NOT NULL CHECK (payment_method IN ('online', 'at_station')),
    status            TEXT NOT NULL CHECK (status IN ('pending_payment', 'confirmed', 'redeemed', 'completed', 'cancelled', 'expired', 'no_show')),
    amount_paise      BIGINT,
    payment_provider  TEXT,
    payment_order_id  TEXT,
    hold_expires_at   TEXT,
    valid_from        TEXT NOT NULL,
    valid_until       TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX bookings_user ON bookings (user_id, slot_start);
CREATE INDEX bookings_station_slot ON bookings (station_id, slot_start);
CREATE INDEX bookings_holds ON bookings (hold_expires_at) WHERE status = 'pending_payment';
CREATE INDEX bookings_confirmed_until ON bookings (valid_until) WHERE status = 'confirmed';

-- Idempotency-Key: the first answer to a key is replayed for the same request body.
CREATE TABLE idempotency_keys (
    user_id        BLOB NOT NULL,
    key            TEXT NOT NULL,
    request_hash   BLOB NOT NULL,
    booking_id     BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Token signing keys; the private half wrapped with a key derived from the master key.
CREATE TABLE signing_keys (
    kid              INTEGER PRIMARY KEY CHECK (kid BETWEEN 1 AND 255),
    public_key       BLOB NOT NULL,
    private_key_enc  BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    signing_from     TEXT NOT NULL
);

-- The hash-chained audit log. Writers only insert (no lock on the request path); the
-- sealer (see cloud/src/store/seal.rs) then gives committed entries their place in the
-- chain, `seq`, and hash = SHA-256(prev_hash ‖ entry). Entries are sealed within a
-- second; `gasq-cloud audit verify` seals what is pending before it checks.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    seq         BIGINT UNIQUE,
    at_micros   BIGINT NOT NULL,
    actor_id    BLOB,
    actor_role  TEXT,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    ip          TEXT,
    detail      TEXT NOT NULL,
    prev_hash   BLOB,
    hash        BLOB
);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;

-- The sealed chain's head, one row: the sealer locks it, so the chain never forks.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
