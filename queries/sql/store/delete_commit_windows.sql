-- SQLite. Forget the windows one commit made current (a parent and its children), so a window
-- that lost a file is loaded again whole rather than published with a table missing.
DELETE FROM windows WHERE commit_id = :commit_id
