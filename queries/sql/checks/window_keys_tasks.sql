-- The key check of one landed window of reporting.tasks: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, id FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM reporting.tasks
        WHERE org_id = $org_id AND attributes_created_time >= $window_start AND attributes_created_time < $window_end
    ) AS duckdb_rows;
