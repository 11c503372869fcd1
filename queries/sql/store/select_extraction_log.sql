-- SQLite. The whole extraction log (one row per attempt: small), for DuckDB to query.
SELECT asset, org_id, window_start, window_end, run_id, started, finished, status,
       pages, requests, retries, rate_limited, rows, api_count, error, org
FROM extraction_log
