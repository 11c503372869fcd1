-- SQLite. One row per landed window (all of its tables); its id orders commits, so a publish
-- knows whether the published file already holds a commit.
CREATE TABLE IF NOT EXISTS commits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committed_at REAL NOT NULL  -- epoch seconds
)
