-- Keys of wfo.schedule_adherence staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, agent_id, scheduled_start, n, count(*) OVER ()
FROM (
    SELECT org_id, agent_id, scheduled_start, count(*) AS n
    FROM staged_schedule_adherence
    GROUP BY org_id, agent_id, scheduled_start
    HAVING count(*) > 1
)
ORDER BY org_id, agent_id, scheduled_start
LIMIT 5;
