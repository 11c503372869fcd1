-- Keys of search.task_variable staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, task_id, name, n, count(*) OVER ()
FROM (
    SELECT org_id, task_id, name, count(*) AS n
    FROM staged_task_variable
    GROUP BY org_id, task_id, name
    HAVING count(*) > 1
)
ORDER BY org_id, task_id, name
LIMIT 5;
