-- SQLite. The last commit the published warehouse holds (one row).
CREATE TABLE IF NOT EXISTS published (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    commit_id INTEGER NOT NULL,
    published_at REAL NOT NULL
)
