-- Logs written before orgs were partitions lack the org's partition name.
ALTER TABLE ops.extraction_log ADD COLUMN IF NOT EXISTS org VARCHAR
