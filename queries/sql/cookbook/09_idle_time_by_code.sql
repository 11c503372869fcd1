-- Idle (not-ready) time per idle code and agent over the last seven UTC days, in hours, by the
-- states' start. $today: today's date.
SELECT
    a.agent_name,
    i.idle_code_name,
    round(sum(s.duration_ms) / 3600000.0, 2) AS idle_hours,
    count(*) AS times
FROM analytics.fct_agent_state AS s
JOIN analytics.dim_idle_code AS i USING (org_id, idle_code_id)
JOIN analytics.dim_agent AS a USING (org_id, agent_id)
WHERE s.state = 'idle'
    AND CAST(s.start_time AT TIME ZONE 'UTC' AS DATE) BETWEEN $today - 7 AND $today - 1
GROUP BY ALL
ORDER BY idle_hours DESC;
