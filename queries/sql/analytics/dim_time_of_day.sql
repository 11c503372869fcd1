-- analytics.dim_time_of_day: one row per quarter-hour of a clock day (96 rows), with its half
-- hour and hour, to join on a local interval start's time (interval_start_local::TIME).
CREATE OR REPLACE VIEW analytics.dim_time_of_day AS
SELECT
    make_time(q // 4, (q % 4) * 15, 0) AS time_of_day,
    make_time(q // 4, (q % 4) // 2 * 30, 0) AS half_hour,
    q // 4 AS hour,
    q AS quarter_hour_of_day,
    CASE WHEN q < 48 THEN 'AM' ELSE 'PM' END AS am_pm
FROM range(96) AS t(q);
