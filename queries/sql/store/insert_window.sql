-- SQLite.
INSERT INTO windows (table_name, org_id, window_start, window_end, path, rows, commit_id)
VALUES (:table_name, :org_id, :window_start, :window_end, :path, :rows, :commit_id)
