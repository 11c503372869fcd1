-- SQLite.
INSERT INTO commits (committed_at) VALUES (:now)
