-- SQLite mirror of cloud-postgres/0009. Messages to drivers (docs/architecture.md, "Messages"): each user's language and
-- channel, each station's reminder lead, and the notifications outbox — one row per
-- intent (its unique key), claimed by the workers with SKIP LOCKED, retried with backoff,
-- dead-lettered after the last attempt.

ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE users ADD COLUMN notify_by TEXT NOT NULL DEFAULT 'sms'
    CHECK (notify_by IN ('sms', 'email', 'none'));
-- The driver answered the reminder "Coming" (shown on the station's board).
ALTER TABLE bookings ADD COLUMN coming_at TEXT;
ALTER TABLE stations ADD COLUMN reminder_lead_minutes INTEGER NOT NULL DEFAULT 30
    CHECK (reminder_lead_minutes BETWEEN 5 AND 1440);

CREATE TABLE notifications (
    id               BLOB PRIMARY KEY,
    intent           TEXT NOT NULL UNIQUE,
    user_id          BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    booking_id       BLOB,
    message          TEXT NOT NULL,
    args             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead', 'skipped')),
    channel          TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    first_tried_at   TEXT,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    provider_ref     TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_dead ON notifications (created_at) WHERE status = 'dead';

-- Inbound SMS handled, by Twilio's MessageSid (a replay is answered with nothing), and
-- counted per sender (a keyed hash of the number) for the per-phone rate limit.
CREATE TABLE sms_inbound (
    message_sid  TEXT PRIMARY KEY,
    phone_hash   BLOB NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX sms_inbound_phone ON sms_inbound (phone_hash, received_at);
