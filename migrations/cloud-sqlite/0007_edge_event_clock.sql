-- An event an edge dated ahead of the cloud's clock (by more than the device-token
-- leeway) is stored at the time it was received; edge_at keeps the time the edge
-- claimed, and flags the event (docs/sync-protocol.md, "Time at ingest").
ALTER TABLE edge_events ADD COLUMN edge_at TEXT;

-- A lane already stuck by a state change dated in the future (before this bound
-- existed) is dated now, so the next real change of that lane wins again. Times are
-- RFC 3339 text here, which compares in time order.
UPDATE station_lanes SET since = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
WHERE since > strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '+2 minutes');

-- When the edge took the outbox health last stored: an older report (a held pull
-- answered after a push) changes nothing.
ALTER TABLE devices ADD COLUMN health_at TEXT;
