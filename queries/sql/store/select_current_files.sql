-- SQLite. Every current window file, per table in window order: what a publish exposes.
SELECT table_name, path
FROM windows
ORDER BY table_name, org_id, window_start
