-- SQLite. A check's earlier differences over the same org and window.
DELETE FROM cross_check_differences
WHERE check_name = :check_name AND org_id = :org_id
  AND window_start = :window_start AND window_end = :window_end
