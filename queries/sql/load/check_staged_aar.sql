-- The rows staged for a window of legacy.aar, checked before they replace
-- anything: rows of another org than $org_id, rows without a window time, the span of
-- the window times (epoch ms), and per key column (org_id first) the rows without it.
SELECT
    count(*) FILTER (WHERE org_id IS DISTINCT FROM $org_id),
    count(*) FILTER (WHERE stts IS NULL),
    epoch_ms(min(stts)),
    epoch_ms(max(stts)),
    count(*) FILTER (WHERE org_id IS NULL),
    count(*) FILTER (WHERE id IS NULL)
FROM staged_aar;
