-- SQLite. Every current window file with its window and commit: a repair checks each is on disk.
SELECT table_name, org_id, window_start, window_end, path, commit_id
FROM windows
ORDER BY table_name, org_id, window_start
