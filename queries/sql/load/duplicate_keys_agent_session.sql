-- Keys of search.agent_session staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, agent_session_id, n, count(*) OVER ()
FROM (
    SELECT org_id, agent_session_id, count(*) AS n
    FROM staged_agent_session
    GROUP BY org_id, agent_session_id
    HAVING count(*) > 1
)
ORDER BY org_id, agent_session_id
LIMIT 5;
