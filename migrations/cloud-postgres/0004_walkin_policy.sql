-- A station's walk-in policy: places of every slot kept for drivers without a booking,
-- and the most of a slot (percent) the demand forecast may keep for them.
ALTER TABLE stations ADD COLUMN walkin_reserve_min INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stations ADD COLUMN walkin_reserve_max_percent INTEGER NOT NULL DEFAULT 50;
