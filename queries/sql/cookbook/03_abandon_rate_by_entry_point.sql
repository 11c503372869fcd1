-- Abandon rate by entry point over the last seven UTC days, over contacts that entered a queue
-- and over those that reached an outcome (answered or abandoned). $today: today's date.
SELECT
    e.entry_point_name,
    count(*) FILTER (WHERE c.queue_id IS NOT NULL) AS entered,
    count(*) FILTER (WHERE c.is_abandoned) AS abandoned,
    CAST(count(*) FILTER (WHERE c.is_abandoned) AS DOUBLE)
        / nullif(count(*) FILTER (WHERE c.queue_id IS NOT NULL), 0) AS abandon_rate_entered,
    CAST(count(*) FILTER (WHERE c.is_abandoned) AS DOUBLE)
        / nullif(count(*) FILTER (WHERE c.is_abandoned OR c.is_answered), 0)
        AS abandon_rate_offered
FROM analytics.fct_contact AS c
JOIN analytics.dim_entry_point AS e USING (org_id, entry_point_id)
WHERE c.created_date_utc BETWEEN $today - 7 AND $today - 1
GROUP BY e.entry_point_name
ORDER BY abandon_rate_entered DESC NULLS LAST;
