-- Keys of reporting.queue_statistics staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, queue_id, interval_start_time, channel_type, n, count(*) OVER ()
FROM (
    SELECT org_id, queue_id, interval_start_time, channel_type, count(*) AS n
    FROM staged_queue_statistics
    GROUP BY org_id, queue_id, interval_start_time, channel_type
    HAVING count(*) > 1
)
ORDER BY org_id, queue_id, interval_start_time, channel_type
LIMIT 5;
