-- How many of the tables $names ('schema.table') exist: readers check before querying a
-- warehouse that may not hold them yet.
SELECT count(*)
FROM duckdb_tables()
WHERE list_contains($names, schema_name || '.' || table_name)
