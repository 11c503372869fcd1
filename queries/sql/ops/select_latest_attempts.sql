-- The latest attempt at every asset, org and window: what `wxcc-warehouse status` reports. An
-- attempt still 'running' was cut short (its process was killed) unless a load is running now.
WITH ranked AS (
    SELECT asset, org_id, org, window_start, window_end, status, error, finished,
           row_number() OVER (
               PARTITION BY asset, org_id, window_start ORDER BY started DESC, finished DESC
           ) AS n
    FROM ops.extraction_log
)
SELECT asset, org_id, org, window_start, window_end, status, error, finished
FROM ranked
WHERE n = 1
ORDER BY asset, org_id, window_start
