-- SQLite. The current file of one window of a table and org, and its row count.
SELECT path, rows
FROM windows
WHERE table_name = :table_name AND org_id = :org_id
  AND window_start = :window_start AND window_end = :window_end
