-- The ten agents with the highest average handle time (connected + hold + wrap-up) this week
-- (local ISO week, Monday to today), with at least five handled contacts. $today: local date.
SELECT
    agent_name,
    sum(n_handled) AS handled,
    CAST(sum(sum_handle_ms) AS DOUBLE) / nullif(sum(n_handled), 0) / 1000 AS aht_agent_s
FROM analytics.agent_day_local
WHERE local_date BETWEEN date_trunc('week', $today) AND $today
GROUP BY agent_name
HAVING sum(n_handled) >= 5
ORDER BY aht_agent_s DESC
LIMIT 10;
