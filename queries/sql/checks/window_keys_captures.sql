-- The key check of one landed window of reporting.captures: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, task_id, id FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM reporting.captures
        WHERE org_id = $org_id AND task_created_time >= $window_start AND task_created_time < $window_end
    ) AS duckdb_rows;
