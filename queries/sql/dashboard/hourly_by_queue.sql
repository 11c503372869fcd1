-- Per local clock hour and queue of one local day ($day): volume, service level (handled only),
-- ASA and abandon rate.
SELECT
    strftime(interval_start_local, '%H:%M') || CASE WHEN utc_offset_minutes
        <> first_value(utc_offset_minutes) OVER (PARTITION BY queue_id ORDER BY interval_start)
        THEN ' (2nd)' ELSE '' END AS local_hour,
    interval_start,
    queue_name,
    n_entered AS contacts,
    sl_pct_handled_only AS service_level,
    asa_s,
    abandon_rate_offered AS abandon_rate
FROM analytics.queue_interval_60m_local
WHERE local_date = $day
ORDER BY interval_start, queue_name
