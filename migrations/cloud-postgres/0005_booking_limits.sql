-- Booking limits (docs/architecture.md, "No hogging"): a booking's transaction looks up
-- the live bookings of its vehicle's registration around its slot, and how many
-- bookings its driver made in the last hour.
CREATE INDEX bookings_registration_slot ON bookings (registration, slot_start);
CREATE INDEX bookings_user_created ON bookings (user_id, created_at);
