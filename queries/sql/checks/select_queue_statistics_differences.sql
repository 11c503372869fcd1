-- Offered and abandoned tasks per queue and 15-minute interval of one org's window
-- [$window_start, $window_end) (TIMESTAMPTZ): reporting.queue_statistics against the same
-- figures counted from search.task_details, where they differ. A task counts for its last
-- queue, in the interval it was created in (the statistics API counts start-time figures where
-- the contact started); abandoned: abandoned in queue (abandoned_type 'queue' or 'short').
-- An interval missing on one side counts 0 there.
WITH reported AS (
    SELECT
        queue_id,
        interval_start_time,
        sum(total_offered_tasks) AS offered,
        sum(total_abandoned_tasks) AS abandoned
    FROM reporting.queue_statistics
    WHERE org_id = $org_id
        AND interval_start_time >= $window_start
        AND interval_start_time < $window_end
    GROUP BY queue_id, interval_start_time
),
searched AS (
    SELECT
        last_queue_id AS queue_id,
        to_timestamp((epoch_ms(created_time) // 900000) * 900) AS interval_start_time,
        count(*) AS offered,
        count(*) FILTER (WHERE abandoned_type IN ('queue', 'short')) AS abandoned
    FROM search.task_details
    WHERE org_id = $org_id
        AND created_time >= $window_start
        AND created_time < $window_end
        AND last_queue_id IS NOT NULL
    GROUP BY ALL
),
joined AS (
    SELECT
        coalesce(r.queue_id, s.queue_id) AS queue_id,
        coalesce(r.interval_start_time, s.interval_start_time) AS interval_start_time,
        coalesce(r.offered, 0) AS reported_offered,
        coalesce(s.offered, 0) AS searched_offered,
        coalesce(r.abandoned, 0) AS reported_abandoned,
        coalesce(s.abandoned, 0) AS searched_abandoned
    FROM reported AS r
    FULL OUTER JOIN searched AS s
        ON r.queue_id = s.queue_id AND r.interval_start_time = s.interval_start_time
)
SELECT queue_id, interval_start_time, figure, reporting_value, search_value
FROM (
    SELECT
        queue_id,
        interval_start_time,
        'offered' AS figure,
        reported_offered AS reporting_value,
        searched_offered AS search_value
    FROM joined
    UNION ALL
    SELECT
        queue_id,
        interval_start_time,
        'abandoned' AS figure,
        reported_abandoned AS reporting_value,
        searched_abandoned AS search_value
    FROM joined
)
WHERE reporting_value <> search_value
ORDER BY interval_start_time, queue_id, figure;
