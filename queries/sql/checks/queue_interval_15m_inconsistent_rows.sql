-- Rows of analytics.queue_interval_15m for org $org_id in [$window_start, $window_end) whose
-- counts do not nest: a mart bug, since every count is a subset of the one it is compared with.
SELECT count(*)
FROM analytics.queue_interval_15m
WHERE org_id = $org_id
    AND interval_start >= $window_start
    AND interval_start < $window_end
    AND NOT (
        n_answered_in_sl <= n_answered
        AND n_abandoned_in_sl <= n_abandoned
        AND n_short_abandoned <= n_abandoned
        AND n_answered + n_abandoned = n_offered
        AND n_offered <= n_entered
        AND least(sum_queue_answered_ms, sum_ring_answered_ms, sum_connected_ms, sum_hold_ms,
            sum_wrapup_ms) >= 0
    )
