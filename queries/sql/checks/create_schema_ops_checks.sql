-- The ops schema, where the cross-source checks record what they found.
CREATE SCHEMA IF NOT EXISTS ops;
