-- SQLite. Retired files whose grace period is over.
SELECT path FROM retired WHERE retired_at < :before ORDER BY path
