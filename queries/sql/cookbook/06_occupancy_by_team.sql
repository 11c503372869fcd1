-- Occupancy and utilization by team and channel yesterday (local day). $today: local date.
SELECT
    t.team_name,
    a.channel_type,
    round(sum(a.sum_staffed_ms) / 3600000.0, 1) AS staffed_hours,
    CAST(sum(a.sum_busy_ms) AS DOUBLE)
        / nullif(sum(a.sum_busy_ms) + sum(a.sum_available_ms), 0) AS occupancy,
    CAST(sum(a.sum_busy_ms) AS DOUBLE) / nullif(sum(a.sum_staffed_ms), 0) AS utilization
FROM analytics.agent_day_local AS a
JOIN analytics.dim_team AS t USING (org_id, team_id)
WHERE a.local_date = $today - 1
GROUP BY ALL
ORDER BY t.team_name, a.channel_type;
