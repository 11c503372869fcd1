-- Service level per queue under each service-level threshold it has had: a changed threshold
-- starts a new period, and each period's days keep their own threshold.
SELECT
    q.queue_name,
    h.sl_threshold_ms / 1000 AS threshold_s,
    h.valid_from,
    h.valid_to,
    sum(d.n_answered) AS answered,
    CAST(sum(d.n_answered_in_sl) AS DOUBLE) / nullif(sum(d.n_answered), 0) AS sl_pct_handled_only
FROM analytics.dim_queue_sl_threshold AS h
JOIN analytics.dim_queue AS q USING (org_id, queue_id)
JOIN analytics.queue_day_utc AS d
    ON d.org_id = h.org_id AND d.queue_id = h.queue_id
    AND d.utc_date >= CAST(h.valid_from AT TIME ZONE 'UTC' AS DATE)
    AND (h.valid_to IS NULL OR d.utc_date < CAST(h.valid_to AT TIME ZONE 'UTC' AS DATE))
GROUP BY ALL
ORDER BY q.queue_name, h.valid_from;
