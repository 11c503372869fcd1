-- Keys of analytics.queue_interval_15m staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, queue_id, channel_type, interval_start, n, count(*) OVER ()
FROM (
    SELECT org_id, queue_id, channel_type, interval_start, count(*) AS n
    FROM staged_queue_interval_15m
    GROUP BY org_id, queue_id, channel_type, interval_start
    HAVING count(*) > 1
)
ORDER BY org_id, queue_id, channel_type, interval_start
LIMIT 5;
