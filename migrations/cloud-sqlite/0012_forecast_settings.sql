-- A per-kg discount for slots the forecast expects to be calm (docs/architecture.md,
-- "Capacity and forecasts"): shifts demand out of the rush. A booking keeps the price
-- of its moment, discount included.
ALTER TABLE stations ADD COLUMN calm_discount_paise_per_kg BIGINT NOT NULL DEFAULT 0;
-- The lane plan: lanes to staff each hour so that a walk-in's expected wait stays under
-- this many minutes.
ALTER TABLE stations ADD COLUMN wait_target_minutes INTEGER NOT NULL DEFAULT 5;
-- The walk-ins the forecast expected when a slot was sized: a later re-size (a lane
-- fault, a policy change) keeps the slot's room for them.
ALTER TABLE slot_loads ADD COLUMN forecast_walkins INTEGER NOT NULL DEFAULT 0;
