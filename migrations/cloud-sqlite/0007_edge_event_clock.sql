-- An event an edge dated ahead of the cloud's clock (by more than the device-token
-- leeway) is stored at the time it was received; edge_at keeps the time the edge
-- claimed, and flags the event (docs/sync-protocol.md, "Time at ingest").
ALTER TABLE edge_events ADD COLUMN edge_at TEXT;
