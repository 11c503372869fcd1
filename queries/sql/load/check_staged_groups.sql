-- The rows staged for a window of wfo.groups, checked before they replace
-- anything: rows of another org than $org_id, rows without a window time, the span of
-- the window times (epoch ms), and per key column (org_id first) the rows without it.
SELECT
    count(*) FILTER (WHERE org_id IS DISTINCT FROM $org_id),
    count(*) FILTER (WHERE snapshot_time IS NULL),
    epoch_ms(min(snapshot_time)),
    epoch_ms(max(snapshot_time)),
    count(*) FILTER (WHERE org_id IS NULL),
    count(*) FILTER (WHERE group_id IS NULL),
    count(*) FILTER (WHERE snapshot_date IS NULL)
FROM staged_groups;
