-- SQLite. ops.cross_check_differences as the checks write it; publishing copies it.
CREATE TABLE IF NOT EXISTS cross_check_differences (
    check_name TEXT NOT NULL,
    org_id TEXT NOT NULL,
    window_start INTEGER NOT NULL,  -- epoch ms
    window_end INTEGER NOT NULL,  -- epoch ms
    queue_id TEXT NOT NULL,
    interval_start_time INTEGER NOT NULL,  -- epoch ms
    figure TEXT NOT NULL,
    reporting_value INTEGER NOT NULL,
    search_value INTEGER NOT NULL,
    checked_at INTEGER NOT NULL  -- epoch microseconds
)
