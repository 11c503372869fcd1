-- Whether ops.extraction_log exists with the org partition name that the queries reading it need
-- (a log written before orgs were partitions gets it on its next write).
SELECT count(*) > 0
FROM duckdb_columns()
WHERE schema_name = 'ops' AND table_name = 'extraction_log' AND column_name = 'org'
