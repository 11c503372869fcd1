-- The wrap-up codes agents chose this week (UTC days since Monday) and their share of
-- wrapped-up contacts. $today: today's date.
SELECT
    w.wrapup_code_name,
    count(*) AS contacts,
    count(*) / sum(count(*)) OVER () AS share
FROM analytics.fct_contact AS c
JOIN analytics.dim_wrapup_code AS w USING (org_id, wrapup_code_id)
WHERE c.created_date_utc BETWEEN date_trunc('week', $today) AND $today
GROUP BY w.wrapup_code_name
ORDER BY contacts DESC;
