-- The key check of one landed window of analytics.queue_interval_15m: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, queue_id, channel_type, interval_start FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM analytics.queue_interval_15m
        WHERE org_id = $org_id AND interval_start >= $window_start AND interval_start < $window_end
    ) AS duckdb_rows;
