-- SQLite. Window files no longer current: deleted once no reader can still be reading them.
CREATE TABLE IF NOT EXISTS retired (
    path TEXT PRIMARY KEY,
    retired_at REAL NOT NULL  -- epoch seconds
)
