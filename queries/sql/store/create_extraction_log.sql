-- SQLite. ops.extraction_log as written by the runs (any number of processes at once; SQLite's
-- WAL lets one short transaction in at a time); publishing copies it into the warehouse.
CREATE TABLE IF NOT EXISTS extraction_log (
    asset TEXT NOT NULL,
    org_id TEXT NOT NULL,
    window_start INTEGER NOT NULL,  -- epoch ms
    window_end INTEGER NOT NULL,  -- epoch ms
    run_id TEXT NOT NULL,
    started INTEGER NOT NULL,  -- epoch microseconds
    finished INTEGER NOT NULL,  -- epoch microseconds
    status TEXT NOT NULL,
    pages INTEGER,
    requests INTEGER,
    retries INTEGER,
    rate_limited INTEGER,
    rows INTEGER,
    api_count INTEGER,
    error TEXT,
    org TEXT,
    PRIMARY KEY (asset, org_id, window_start, run_id)
)
