-- analytics.dim_entry_point: one row per entry point, its latest name and channel
-- (search.task_details).
CREATE OR REPLACE VIEW analytics.dim_entry_point AS
SELECT
    org_id,
    last_entry_point_id AS entry_point_id,
    arg_max(last_entry_point_name, created_time) AS entry_point_name,
    arg_max(channel_type, created_time) AS channel_type
FROM search.task_details
WHERE last_entry_point_id IS NOT NULL
GROUP BY org_id, last_entry_point_id;
