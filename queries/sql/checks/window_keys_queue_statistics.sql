-- The key check of one landed window of reporting.queue_statistics: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, queue_id, interval_start_time, channel_type FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM reporting.queue_statistics
        WHERE org_id = $org_id AND interval_start_time >= $window_start AND interval_start_time < $window_end
    ) AS duckdb_rows;
