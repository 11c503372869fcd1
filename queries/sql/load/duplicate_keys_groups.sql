-- Keys of wfo.groups staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, group_id, snapshot_date, n, count(*) OVER ()
FROM (
    SELECT org_id, group_id, snapshot_date, count(*) AS n
    FROM staged_groups
    GROUP BY org_id, group_id, snapshot_date
    HAVING count(*) > 1
)
ORDER BY org_id, group_id, snapshot_date
LIMIT 5;
