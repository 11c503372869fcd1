-- Keys of legacy.csr staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, sid, n, count(*) OVER ()
FROM (
    SELECT org_id, sid, count(*) AS n
    FROM staged_csr
    GROUP BY org_id, sid
    HAVING count(*) > 1
)
ORDER BY org_id, sid
LIMIT 5;
