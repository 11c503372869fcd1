-- analytics.dim_wrapup_code: one row per wrap-up code seen on contacts (search.task_details)
-- or agent states (search.agent_activity), its latest name.
CREATE OR REPLACE VIEW analytics.dim_wrapup_code AS
WITH seen AS (
    SELECT org_id, last_wrap_up_code_id AS wrapup_code_id,
        last_wrapup_code_name AS wrapup_code_name, created_time AS seen_at
    FROM search.task_details
    WHERE last_wrap_up_code_id IS NOT NULL
    UNION ALL
    SELECT org_id, wrapup_code_id, wrapup_code_name, start_time
    FROM search.agent_activity
    WHERE wrapup_code_id IS NOT NULL
)
SELECT org_id, wrapup_code_id, arg_max(wrapup_code_name, seen_at) AS wrapup_code_name
FROM seen
GROUP BY org_id, wrapup_code_id;
