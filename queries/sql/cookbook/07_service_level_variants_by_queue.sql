-- Every service-level variant side by side per queue yesterday (local day), with the abandons
-- that make them differ. $today: today's local date.
SELECT
    queue_name,
    n_answered,
    n_abandoned,
    n_abandoned_in_sl,
    n_short_abandoned,
    round(sl_pct_handled_only, 3) AS handled_only,
    round(sl_pct_abandon_negative, 3) AS abandons_negative,
    round(sl_pct_abandon_ignored, 3) AS abandons_ignored,
    round(sl_pct_abandon_positive, 3) AS abandons_positive,
    round(sl_pct_excl_short, 3) AS short_excluded
FROM analytics.queue_day_local
WHERE local_date = $today - 1
ORDER BY queue_name;
