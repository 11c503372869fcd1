-- SQLite. Windows of one table and org that overlap [:window_start, :window_end).
SELECT window_start, window_end, path, rows
FROM windows
WHERE table_name = :table_name AND org_id = :org_id
  AND window_start < :window_end AND window_end > :window_start
