-- Keys of wfo.evaluation_scores staged more than once (at most five): the key, its
-- rows, and how many keys repeat.
SELECT org_id, evaluation_id, n, count(*) OVER ()
FROM (
    SELECT org_id, evaluation_id, count(*) AS n
    FROM staged_evaluation_scores
    GROUP BY org_id, evaluation_id
    HAVING count(*) > 1
)
ORDER BY org_id, evaluation_id
LIMIT 5;
