-- UTC days and orgs (by partition name) whose loaded tasks include some still in progress when
-- they were loaded: those windows are loaded again so their tasks reach their final state. Days
-- before $since are left alone (a task open that long is stuck, not in progress). The org's
-- partition name comes from the extraction log, which knows which org id each name loaded.
WITH names AS (
    SELECT DISTINCT org_id, org FROM ops.extraction_log WHERE org IS NOT NULL
)
SELECT DISTINCT strftime(t.created_time AT TIME ZONE 'UTC', '%Y-%m-%d') AS day, n.org
FROM search.task_details AS t
JOIN names AS n ON n.org_id = t.org_id
WHERE (t.is_active OR t.ended_time IS NULL)
  AND t.created_time >= $since
  AND t.created_time < $before
ORDER BY day, n.org
