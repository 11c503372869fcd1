-- The key check of one landed window of search.agent_session_channel: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, agent_session_id, channel_id FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM search.agent_session_channel
        WHERE org_id = $org_id AND agent_session_start_time >= $window_start AND agent_session_start_time < $window_end
    ) AS duckdb_rows;
