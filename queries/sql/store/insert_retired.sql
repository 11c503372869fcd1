-- SQLite.
INSERT OR REPLACE INTO retired (path, retired_at) VALUES (:path, :now)
