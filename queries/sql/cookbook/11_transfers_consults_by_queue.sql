-- Transfers, consults and conferences per handled contact by queue over the last seven UTC days
-- (by the contacts' end). $today: today's date.
SELECT
    queue_name,
    sum(n_handled) AS handled,
    CAST(sum(n_transfers) AS DOUBLE) / nullif(sum(n_handled), 0) AS transfer_rate,
    CAST(sum(n_consults) AS DOUBLE) / nullif(sum(n_handled), 0) AS consult_rate,
    CAST(sum(n_conferences) AS DOUBLE) / nullif(sum(n_handled), 0) AS conference_rate
FROM analytics.queue_day_utc
WHERE utc_date BETWEEN $today - 7 AND $today - 1
GROUP BY queue_name
ORDER BY transfer_rate DESC NULLS LAST;
