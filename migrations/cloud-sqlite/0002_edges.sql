-- Edge boxes: enrollment codes, devices, the per-station change log they pull, the
-- events they push, lane states, and reconciliation cases.

-- The last change number handed out for this station (by the sealer, in commit order).
ALTER TABLE stations ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
-- Changes up to this number were pruned; an edge behind it gets a full resync.
ALTER TABLE stations ADD COLUMN change_floor BIGINT NOT NULL DEFAULT 0;

ALTER TABLE bookings ADD COLUMN redeemed_at TEXT;
ALTER TABLE bookings ADD COLUMN redeemed_lane INTEGER;
ALTER TABLE bookings ADD COLUMN completed_at TEXT;
ALTER TABLE bookings ADD COLUMN filled_centikg INTEGER;
ALTER TABLE bookings ADD COLUMN fill_amount_paise BIGINT;

-- A code reads XXXX-XXXX-XXXX: the first group finds the row, the rest is the secret
-- (stored hashed). Failed guesses are counted per code.
CREATE TABLE enrollment_codes (
    id               TEXT PRIMARY KEY,
    secret_hash      BLOB NOT NULL,
    station_id       BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    created_by       BLOB,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    used_at          TEXT,
    device_id        BLOB
);

CREATE TABLE devices (
    id                    BLOB PRIMARY KEY,
    station_id            BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    public_key            BLOB NOT NULL,
    hostname              TEXT,
    version               TEXT,
    attendant_secret_enc  BLOB NOT NULL,
    enrolled_at           TEXT NOT NULL,
    revoked_at            TEXT,
    last_seen_at          TEXT,
    last_pull_at          TEXT,
    last_push_at          TEXT,
    pulled_cursor         BIGINT,
    outbox_depth          BIGINT,
    oldest_unsent_at      TEXT
);
CREATE INDEX devices_station ON devices (station_id);

-- What changed for a station; the pull renders each entry's current state. Writers
-- insert with no number; the sealer numbers committed entries per station in the order
-- it finds them, so a cursor can never skip an entry that committed late. Edges see
-- sealed entries only.
CREATE TABLE station_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id  BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    seq         BIGINT,
    kind        TEXT NOT NULL CHECK (kind IN ('booking', 'station', 'keys')),
    booking_id  BLOB,
    at          TEXT NOT NULL,
    UNIQUE (station_id, seq)
);
CREATE INDEX station_changes_unsealed ON station_changes (station_id, id) WHERE seq IS NULL;

-- Every event an edge recorded, once (the edge made its id).
CREATE TABLE edge_events (
    id           BLOB PRIMARY KEY,
    station_id   BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    device_id    BLOB NOT NULL,
    edge_seq     BIGINT NOT NULL,
    at           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX edge_events_station_kind ON edge_events (station_id, kind, at);

CREATE TABLE station_lanes (
    station_id  BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    lane        INTEGER NOT NULL,
    up          INTEGER NOT NULL,
    detail      TEXT,
    since       TEXT NOT NULL,
    PRIMARY KEY (station_id, lane)
);

-- Something the station did that the cloud cannot square by itself (a booking
-- redeemed at the lane after the cloud cancelled or refunded it).
CREATE TABLE reconciliation_cases (
    id           BLOB PRIMARY KEY,
    station_id   BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    booking_id   BLOB,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    resolved_at  TEXT,
    resolved_by  BLOB,
    resolution   TEXT
);
CREATE INDEX reconciliation_open ON reconciliation_cases (station_id) WHERE resolved_at IS NULL;
