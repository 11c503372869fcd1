-- The rows staged for a window of search.agent_session, checked before they replace
-- anything: rows of another org than $org_id, rows without a window time, the span of
-- the window times (epoch ms), and per key column (org_id first) the rows without it.
SELECT
    count(*) FILTER (WHERE org_id IS DISTINCT FROM $org_id),
    count(*) FILTER (WHERE start_time IS NULL),
    epoch_ms(min(start_time)),
    epoch_ms(max(start_time)),
    count(*) FILTER (WHERE org_id IS NULL),
    count(*) FILTER (WHERE agent_session_id IS NULL)
FROM staged_agent_session;
