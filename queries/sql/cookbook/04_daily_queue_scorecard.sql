-- A daily scorecard per queue for the last seven local days: volume, service level (two ways),
-- ASA (two ways), AHT (two ways) and abandon rate. $today: today's local date.
SELECT
    local_date,
    queue_name,
    channel_type,
    n_entered,
    round(sl_pct_handled_only, 3) AS sl_handled_only,
    round(sl_pct_abandon_negative, 3) AS sl_abandon_negative,
    round(asa_s, 1) AS asa_s,
    round(asa_with_ring_s, 1) AS asa_with_ring_s,
    round(aht_queue_s, 1) AS aht_queue_s,
    round(aht_agent_s, 1) AS aht_agent_s,
    round(abandon_rate_offered, 3) AS abandon_rate
FROM analytics.queue_day_local
WHERE local_date BETWEEN $today - 7 AND $today - 1
ORDER BY local_date, queue_name;
