-- The floor of bookable places a slot keeps, whatever the walk-in reserve
-- (docs/architecture.md, "Capacity and forecasts"): the reserve never takes a slot
-- below it (lanes down still can).
ALTER TABLE stations ADD COLUMN min_bookable_places INTEGER NOT NULL DEFAULT 1;
