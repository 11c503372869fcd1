-- The key check of one landed window of legacy.asr: rows and distinct keys
-- in its Parquet files ($files), and its rows in DuckDB; the stores must agree and no key
-- may repeat.
SELECT
    (SELECT count(*) FROM read_parquet($files)) AS parquet_rows,
    (SELECT count(*) FROM (SELECT DISTINCT org_id, sid FROM read_parquet($files))) AS parquet_keys,
    (SELECT count(*) FROM legacy.asr
        WHERE org_id = $org_id AND stts >= $window_start AND stts < $window_end
    ) AS duckdb_rows;
