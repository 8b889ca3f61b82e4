-- Events an edge box set aside because the cloud kept refusing them (as it last
-- reported): the station admin must see that some of the station's records are missing.
ALTER TABLE devices ADD COLUMN quarantined BIGINT;
