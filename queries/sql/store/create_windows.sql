-- SQLite. The current file of every landed window of every table and org: what the published
-- warehouse's views read. A window's tables (a parent and its children) are replaced in one
-- transaction, so a publish sees all of them or none.
CREATE TABLE IF NOT EXISTS windows (
    table_name TEXT NOT NULL,  -- schema.table
    org_id TEXT NOT NULL,
    window_start INTEGER NOT NULL,  -- epoch ms
    window_end INTEGER NOT NULL,  -- epoch ms
    path TEXT NOT NULL,  -- the immutable versioned file
    rows INTEGER NOT NULL,
    commit_id INTEGER NOT NULL,
    PRIMARY KEY (table_name, org_id, window_start, window_end)
)
