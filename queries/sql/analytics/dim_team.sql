-- analytics.dim_team: one row per team, its latest name and site (search.agent_session).
CREATE OR REPLACE VIEW analytics.dim_team AS
SELECT
    org_id,
    team_id,
    arg_max(team_name, start_time) AS team_name,
    arg_max(site_id, start_time) AS site_id
FROM search.agent_session
WHERE team_id IS NOT NULL
GROUP BY org_id, team_id;
