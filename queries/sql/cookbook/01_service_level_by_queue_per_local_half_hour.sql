-- Service level by queue per half hour yesterday, in each queue's local time (handled only, as
-- Cisco's REST API reports it, and abandons negative). $today: today's local date.
SELECT
    queue_name,
    time_bucket(INTERVAL 30 MINUTE, interval_start_local) AS half_hour_local,
    utc_offset_minutes,
    sum(n_entered) AS contacts,
    CAST(sum(n_answered_in_sl) AS DOUBLE) / nullif(sum(n_answered), 0) AS sl_pct_handled_only,
    CAST(sum(n_answered_in_sl) AS DOUBLE)
        / nullif(sum(n_answered) + sum(n_abandoned), 0) AS sl_pct_abandon_negative
FROM analytics.queue_interval_15m
WHERE local_date = $today - 1
GROUP BY ALL
ORDER BY queue_name, half_hour_local, utc_offset_minutes DESC;
