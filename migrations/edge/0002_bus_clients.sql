-- gasq-edge local database, version 2: station-bus credentials, one row per device
-- (`gasq-edge bus-client add|list|remove`, docs/edge.md "Station-bus credentials").
-- Never edit once released: add 0003_*.sql instead.

CREATE TABLE bus_clients (
    username        TEXT PRIMARY KEY,
    -- 'bridge' (may report dispenser events) or 'scanner' (may only scan).
    role            TEXT NOT NULL,
    -- SHA-256 (hex) of the password; the password itself is shown once and never kept.
    password_sha256 TEXT NOT NULL,
    -- The public half of the device's event key, derived from its password
    -- (gasq_shared::bussig::event_key), base64url: verifies its dispenser events.
    event_key       TEXT NOT NULL,
    -- The same password hashed for a Mosquitto password file ($7$, PBKDF2-SHA512).
    mosquitto_hash  TEXT NOT NULL,
    -- The newest event session (`boot`) seen from this device: older ones are replays.
    event_boot      INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
);
