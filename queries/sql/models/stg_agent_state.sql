-- stg_agent_state: one row per agent state (Search API AAR, search.agent_activity) of org
-- $org_id that overlaps [$window_start, $window_end), with its session's agent and team
-- (search.agent_session). An open state (no end time yet) lasts its reported duration.
-- Sessions are read from a day before the window ($source_start): a state of a session that
-- began the day before can run into the window.
-- Grain: agent state. Materialized: temporary table, per window (warehouse.marts).
CREATE OR REPLACE TEMP TABLE stg_agent_state AS
SELECT
    a.org_id,
    s.agent_id,
    s.agent_name,
    s.team_id,
    a.channel_type,
    lower(a.state) AS state,
    a.start_time,
    coalesce(a.end_time, a.start_time + to_milliseconds(coalesce(a.duration, 0))) AS end_time
FROM search.agent_activity AS a
JOIN search.agent_session AS s
    ON s.org_id = a.org_id AND s.agent_session_id = a.agent_session_id
WHERE a.org_id = $org_id
    AND a.agent_session_start_time >= $source_start
    AND a.agent_session_start_time < $window_end
    AND a.start_time < $window_end
    AND coalesce(a.end_time, a.start_time + to_milliseconds(coalesce(a.duration, 0)))
        >= $window_start;
