-- SQLite.
INSERT OR REPLACE INTO published (id, commit_id, published_at) VALUES (1, :commit_id, :now)
