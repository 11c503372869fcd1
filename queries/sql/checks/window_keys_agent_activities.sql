-- The key check of one landed window of reporting.agent_activities: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, agent_session_id, channel_id, start_time FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM reporting.agent_activities
        WHERE org_id = $org_id AND start_time >= $window_start AND start_time < $window_end
    ) AS duckdb_rows;
