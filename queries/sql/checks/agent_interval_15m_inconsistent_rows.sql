-- Rows of analytics.agent_interval_15m for org $org_id in [$window_start, $window_end) whose
-- clipped state time does not fit: more than 15 minutes of signed-in time in a quarter-hour, or
-- handling time beyond the signed-in time.
SELECT count(*)
FROM analytics.agent_interval_15m
WHERE org_id = $org_id
    AND interval_start >= $window_start
    AND interval_start < $window_end
    AND NOT (
        sum_staffed_ms BETWEEN 0 AND 900000
        AND sum_busy_ms <= sum_staffed_ms
        AND sum_available_ms + sum_idle_ms + sum_busy_ms <= sum_staffed_ms
    )
