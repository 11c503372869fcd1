-- Keys of search.task staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, id, n, count(*) OVER ()
FROM (
    SELECT org_id, id, count(*) AS n
    FROM staged_task
    GROUP BY org_id, id
    HAVING count(*) > 1
)
ORDER BY org_id, id
LIMIT 5;
