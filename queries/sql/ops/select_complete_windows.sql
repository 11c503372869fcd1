-- Windows of the given assets and org whose latest attempt succeeded: a resumed backfill skips
-- them. A window whose latest attempt failed, or is still 'running' because its process was
-- killed, is not complete and is loaded again.
WITH latest AS (
    SELECT asset, window_start, status,
           row_number() OVER (PARTITION BY asset, window_start ORDER BY started DESC) AS n
    FROM ops.extraction_log
    WHERE org = $org AND list_contains($assets, asset)
      AND window_start >= $since AND window_start < $until
)
SELECT window_start
FROM latest
WHERE n = 1 AND status = 'success'
GROUP BY window_start
HAVING count(*) = len($assets)
ORDER BY window_start
