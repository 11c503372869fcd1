-- One row per attempt at extracting one asset's window for one org: what ran, what it cost the
-- API budget, what it landed, and why it failed.
CREATE TABLE IF NOT EXISTS ops.extraction_log (
    asset VARCHAR NOT NULL,
    org_id VARCHAR NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL,
    started TIMESTAMPTZ NOT NULL,
    finished TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,  -- running (until it ends; stays so if the process was killed) | success | failure
    pages BIGINT,
    requests BIGINT,
    retries BIGINT,
    rate_limited BIGINT,
    rows BIGINT,
    api_count BIGINT,
    error VARCHAR,
    org VARCHAR,  -- the org's partition name (pipelines.orgs)
    PRIMARY KEY (asset, org_id, window_start, run_id)
)
