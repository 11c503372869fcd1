-- Keys of reporting.agent_statistics staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, agent_id, interval_start_time, channel_type, n, count(*) OVER ()
FROM (
    SELECT org_id, agent_id, interval_start_time, channel_type, count(*) AS n
    FROM staged_agent_statistics
    GROUP BY org_id, agent_id, interval_start_time, channel_type
    HAVING count(*) > 1
)
ORDER BY org_id, agent_id, interval_start_time, channel_type
LIMIT 5;
