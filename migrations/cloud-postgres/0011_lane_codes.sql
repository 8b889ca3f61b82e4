-- Lane codes (docs/architecture.md, "Lane codes"): a booking's code is an 8-digit MAC
-- under its station's lane-code secret. The secret is derived from the master key and
-- this version; rotating it is a version bump that edges receive by sync.
ALTER TABLE stations ADD COLUMN lane_code_version INTEGER NOT NULL DEFAULT 1;
