-- Per asset and org: the freshest window whose latest attempt succeeded, and the windows between
-- the first and the freshest whose latest attempt failed or that were never attempted (gaps).
WITH latest AS (
    SELECT asset, org_id, window_start, window_end, status,
           row_number() OVER (PARTITION BY asset, org_id, window_start ORDER BY finished DESC) AS n
    FROM ops.extraction_log
),
current AS (SELECT * FROM latest WHERE n = 1),
span AS (
    SELECT asset, org_id,
           min(window_start) FILTER (WHERE status = 'success') AS first_start,
           max(window_end) FILTER (WHERE status = 'success') AS freshest_end
    FROM current GROUP BY asset, org_id
),
days AS (
    SELECT s.asset, s.org_id, d.day AS window_start
    FROM span s, LATERAL (
        SELECT unnest(generate_series(s.first_start, s.freshest_end - INTERVAL 1 DAY, INTERVAL 1 DAY)) AS day
    ) d
    WHERE s.first_start IS NOT NULL
)
SELECT s.asset, s.org_id, s.freshest_end,
       (SELECT max(l.org) FROM ops.extraction_log l WHERE l.org_id = s.org_id) AS org,
       list(d.window_start ORDER BY d.window_start) FILTER (WHERE c.status IS DISTINCT FROM 'success') AS gaps
FROM span s
LEFT JOIN days d ON d.asset = s.asset AND d.org_id = s.org_id
LEFT JOIN current c ON c.asset = d.asset AND c.org_id = d.org_id AND c.window_start = d.window_start
GROUP BY s.asset, s.org_id, s.freshest_end
ORDER BY s.asset, s.org_id
