-- The rows staged for a window of analytics.queue_interval_15m, checked before they replace
-- anything: rows of another org than $org_id, rows without a window time, the span of
-- the window times (epoch ms), and per key column (org_id first) the rows without it.
SELECT
    count(*) FILTER (WHERE org_id IS DISTINCT FROM $org_id),
    count(*) FILTER (WHERE interval_start IS NULL),
    epoch_ms(min(interval_start)),
    epoch_ms(max(interval_start)),
    count(*) FILTER (WHERE org_id IS NULL),
    count(*) FILTER (WHERE queue_id IS NULL),
    count(*) FILTER (WHERE channel_type IS NULL),
    count(*) FILTER (WHERE interval_start IS NULL)
FROM staged_queue_interval_15m;
