-- The rows staged for a window of search.agent_session_channel, checked before they replace
-- anything: rows of another org than $org_id, rows without a window time, the span of
-- the window times (epoch ms), and per key column (org_id first) the rows without it.
SELECT
    count(*) FILTER (WHERE org_id IS DISTINCT FROM $org_id),
    count(*) FILTER (WHERE agent_session_start_time IS NULL),
    epoch_ms(min(agent_session_start_time)),
    epoch_ms(max(agent_session_start_time)),
    count(*) FILTER (WHERE org_id IS NULL),
    count(*) FILTER (WHERE agent_session_id IS NULL),
    count(*) FILTER (WHERE channel_id IS NULL)
FROM staged_agent_session_channel;
