-- UTC days whose loaded tasks include some still in progress when they were loaded: those windows
-- are loaded again so their tasks reach their final state. Days before $since are left alone
-- (a task open that long is stuck, not in progress).
SELECT DISTINCT strftime(created_time AT TIME ZONE 'UTC', '%Y-%m-%d') AS day
FROM search.task_details
WHERE (is_active OR ended_time IS NULL)
  AND created_time >= $since
  AND created_time < $before
ORDER BY day
