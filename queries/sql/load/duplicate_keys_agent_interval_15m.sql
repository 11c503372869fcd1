-- Keys of analytics.agent_interval_15m staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, agent_id, channel_type, interval_start, n, count(*) OVER ()
FROM (
    SELECT org_id, agent_id, channel_type, interval_start, count(*) AS n
    FROM staged_agent_interval_15m
    GROUP BY org_id, agent_id, channel_type, interval_start
    HAVING count(*) > 1
)
ORDER BY org_id, agent_id, channel_type, interval_start
LIMIT 5;
