-- The key check of one landed window of wfo.schedule_adherence: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, agent_id, scheduled_start FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM wfo.schedule_adherence
        WHERE org_id = $org_id AND scheduled_start >= $window_start AND scheduled_start < $window_end
    ) AS duckdb_rows;
