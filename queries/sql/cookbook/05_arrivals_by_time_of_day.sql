-- When contacts arrive: average arrivals per local quarter-hour of the day over the last seven
-- local days, per channel (a staffing curve). $today: today's local date.
SELECT
    t.time_of_day,
    q.channel_type,
    sum(q.n_entered) / 7.0 AS avg_arrivals
FROM analytics.queue_interval_15m AS q
JOIN analytics.dim_time_of_day AS t ON t.time_of_day = CAST(q.interval_start_local AS TIME)
WHERE q.local_date BETWEEN $today - 7 AND $today - 1
GROUP BY ALL
ORDER BY t.time_of_day, q.channel_type;
