-- analytics.dim_idle_code: one row per idle (auxiliary) code seen on agent states
-- (search.agent_activity), its latest name.
CREATE OR REPLACE VIEW analytics.dim_idle_code AS
SELECT org_id, idle_code_id, arg_max(idle_code_name, start_time) AS idle_code_name
FROM search.agent_activity
WHERE idle_code_id IS NOT NULL
GROUP BY org_id, idle_code_id;
