-- Differences found by the cross-source checks, per check, org and window: the last run of a
-- check over a window replaces the rows of its previous run.
CREATE TABLE IF NOT EXISTS ops.cross_check_differences (
    check_name VARCHAR NOT NULL,
    org_id VARCHAR NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    queue_id VARCHAR,
    interval_start_time TIMESTAMPTZ,
    figure VARCHAR,
    reporting_value BIGINT,
    search_value BIGINT,
    checked_at TIMESTAMPTZ NOT NULL
);
