-- Keys of search.agent_activity staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, agent_session_id, id, n, count(*) OVER ()
FROM (
    SELECT org_id, agent_session_id, id, count(*) AS n
    FROM staged_agent_activity
    GROUP BY org_id, agent_session_id, id
    HAVING count(*) > 1
)
ORDER BY org_id, agent_session_id, id
LIMIT 5;
