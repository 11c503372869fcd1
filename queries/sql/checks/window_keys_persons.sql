-- The key check of one landed window of wfo.persons: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, user_id, snapshot_date FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM wfo.persons
        WHERE org_id = $org_id AND snapshot_time >= $window_start AND snapshot_time < $window_end
    ) AS duckdb_rows;
