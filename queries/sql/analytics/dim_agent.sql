-- analytics.dim_agent: one row per agent, its latest name, team and site (search.agent_session).
CREATE OR REPLACE VIEW analytics.dim_agent AS
SELECT
    org_id,
    agent_id,
    arg_max(agent_name, start_time) AS agent_name,
    arg_max(user_login_id, start_time) AS sign_in_id,
    arg_max(team_id, start_time) AS team_id,
    arg_max(site_id, start_time) AS site_id,
    min(start_time) AS first_seen,
    max(start_time) AS last_seen
FROM search.agent_session
WHERE agent_id IS NOT NULL
GROUP BY org_id, agent_id;
