-- Login guessing is slowed, never locked out (docs/architecture.md, "Login guessing").
-- One counter per account, per client address and per device cookie, under a keyed
-- hash (no address or e-mail in clear): failures so far, and when the next attempt may
-- go. It replaces login_failures, which counted what was typed (e-mail and phone apart).
DROP TABLE login_failures;

CREATE TABLE login_throttle (
    key       BLOB PRIMARY KEY,
    failures  INTEGER NOT NULL,
    next_at   TEXT NOT NULL
);
CREATE INDEX login_throttle_next ON login_throttle (next_at);
