-- analytics.dim_site: one row per site, its latest name (search.agent_session).
CREATE OR REPLACE VIEW analytics.dim_site AS
SELECT org_id, site_id, arg_max(site_name, start_time) AS site_name
FROM search.agent_session
WHERE site_id IS NOT NULL
GROUP BY org_id, site_id;
