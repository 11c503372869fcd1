-- analytics.fct_agent_state: one row per agent state (AAR grain, search.agent_activity) with its
-- session's agent, team and site (search.agent_session).
CREATE OR REPLACE VIEW analytics.fct_agent_state AS
SELECT
    a.org_id,
    a.agent_session_id,
    a.id AS state_id,
    s.agent_id,
    s.team_id,
    s.site_id,
    a.channel_type,
    lower(a.state) AS state,
    a.idle_code_id,
    a.wrapup_code_id,
    a.queue_id,
    a.task_id AS contact_id,
    a.start_time,
    a.end_time,
    a.duration AS duration_ms
FROM search.agent_activity AS a
LEFT JOIN search.agent_session AS s
    ON s.org_id = a.org_id AND s.agent_session_id = a.agent_session_id;
