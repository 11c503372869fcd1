-- How many of the tables $names ('schema.table') exist, as tables or views (the warehouse's
-- tables are views over window files): readers check before querying a warehouse that may not
-- hold them yet.
SELECT count(*)
FROM information_schema.tables
WHERE list_contains($names, table_schema || '.' || table_name)
