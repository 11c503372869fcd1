-- Windows this run landed for $asset whose other side ($other) is loaded too (its latest attempt
-- for the org and window succeeded): the windows a cross-source check can compare.
WITH landed AS (
    SELECT DISTINCT org_id, window_start, window_end
    FROM ops.extraction_log
    WHERE run_id = $run_id AND asset = $asset AND status = 'success'
),
other AS (
    SELECT org_id, window_start, status,
           row_number() OVER (PARTITION BY org_id, window_start ORDER BY started DESC) AS n
    FROM ops.extraction_log
    WHERE asset = $other
)
SELECT l.org_id, epoch_ms(l.window_start), epoch_ms(l.window_end)
FROM landed AS l
JOIN other AS o ON o.org_id = l.org_id AND o.window_start = l.window_start
WHERE o.n = 1 AND o.status = 'success'
ORDER BY 1, 2
