-- The share of the walk-ins the forecast expects that a slot keeps places for, percent
-- (docs/architecture.md, "Capacity and forecasts"): 100 keeps room for all of them, 0
-- for none (the policy's floor still holds).
ALTER TABLE stations ADD COLUMN walkin_reserve_share_percent INTEGER NOT NULL DEFAULT 100;
-- Every change of a station's lanes in service (an edge's lane fault or repair, an
-- admin's edit), so the forecast can show the lanes that actually served beside the
-- lane plan.
CREATE TABLE lane_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id    BIGINT NOT NULL REFERENCES stations (id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    lanes_before  INTEGER NOT NULL,
    lanes_after   INTEGER NOT NULL
);
CREATE INDEX lane_history_station_at ON lane_history (station_id, at);
