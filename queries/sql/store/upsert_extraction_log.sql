-- SQLite. An attempt starts as 'running' and is replaced by its outcome.
INSERT OR REPLACE INTO extraction_log
    (asset, org_id, window_start, window_end, run_id, started, finished, status,
     pages, requests, retries, rate_limited, rows, api_count, error, org)
VALUES
    (:asset, :org_id, :window_start, :window_end, :run_id, :started, :finished, :status,
     :pages, :requests, :retries, :rate_limited, :rows, :api_count, :error, :org)
