-- SQLite mirror of cloud-postgres/0010.
-- The waitlist (docs/architecture.md, "Messages"): drivers waiting for a full slot. When
-- a place frees, the first waiting driver is offered it for a few minutes; the place
-- stays counted in slot_loads.held while the offer is out (invariant 1), and passes to
-- the next driver, or back to everyone, when the offer lapses.
CREATE TABLE waitlist (
    id                BLOB PRIMARY KEY,
    station_id        BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    slot_start        TEXT NOT NULL,
    user_id           BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vehicle_id        BLOB NOT NULL REFERENCES vehicles (id) ON DELETE CASCADE,
    quantity_centikg  INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('waiting', 'offered', 'booked', 'lapsed', 'left')),
    offer_expires_at  TEXT,
    booking_id        BLOB,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX waitlist_one_per_driver ON waitlist (station_id, slot_start, user_id)
    WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_queue ON waitlist (station_id, slot_start, created_at) WHERE status = 'waiting';
CREATE INDEX waitlist_offers ON waitlist (offer_expires_at) WHERE status = 'offered';
