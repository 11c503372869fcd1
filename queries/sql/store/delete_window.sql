-- SQLite. Forget one window of a table and org (a new version or a covering window replaces it).
DELETE FROM windows
WHERE table_name = :table_name AND org_id = :org_id
  AND window_start = :window_start AND window_end = :window_end
