-- Keys of reporting.agent_activities staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, agent_session_id, channel_id, start_time, n, count(*) OVER ()
FROM (
    SELECT org_id, agent_session_id, channel_id, start_time, count(*) AS n
    FROM staged_agent_activities
    GROUP BY org_id, agent_session_id, channel_id, start_time
    HAVING count(*) > 1
)
ORDER BY org_id, agent_session_id, channel_id, start_time
LIMIT 5;
