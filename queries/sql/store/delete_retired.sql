-- SQLite.
DELETE FROM retired WHERE path = :path
