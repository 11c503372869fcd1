-- The queue mart against the vendor's own queue statistics (reporting.queue_statistics, when
-- loaded) for org $org_id and 15-minute intervals in [$window_start, $window_end): intervals
-- compared, and those whose offered, accepted or abandoned counts, handled-only service level or
-- average handle time (connected only) differ. Intervals the API reports with nothing offered
-- and nothing handled are not compared.
WITH vendor AS (
    SELECT *
    FROM reporting.queue_statistics
    WHERE org_id = $org_id
        AND interval_start_time >= $window_start
        AND interval_start_time < $window_end
),
mart AS (
    SELECT *
    FROM analytics.queue_interval_15m
    WHERE org_id = $org_id
        AND interval_start >= $window_start
        AND interval_start < $window_end
),
joined AS (
    SELECT
        v.total_offered_tasks IS DISTINCT FROM coalesce(m.n_entered, 0)
        OR v.total_accepted_tasks IS DISTINCT FROM coalesce(m.n_answered, 0)
        OR v.total_abandoned_tasks IS DISTINCT FROM coalesce(m.n_abandoned, 0)
        OR (coalesce(m.n_answered, 0) > 0 AND abs(v.service_level_threshold_percentage
            - 100.0 * m.n_answered_in_sl / m.n_answered) > 1e-6)
        OR (coalesce(m.n_handled, 0) > 0 AND abs(v.average_handled_time
            - CAST(m.sum_connected_ms AS DOUBLE) / m.n_handled) > 1e-6) AS differs
    FROM vendor AS v
    LEFT JOIN mart AS m
        ON m.queue_id = v.queue_id
        AND m.channel_type = v.channel_type
        AND m.interval_start = v.interval_start_time
)
SELECT count(*) AS compared, count(*) FILTER (WHERE differs) AS different
FROM joined
