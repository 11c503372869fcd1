-- wfo.agent_interval_productivity: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS wfo.agent_interval_productivity (
    org_id         VARCHAR NOT NULL,
    interval_start TIMESTAMPTZ NOT NULL,
    agent_id       VARCHAR NOT NULL,
    person_id      BIGINT,
    agent_name     VARCHAR,
    team_name      VARCHAR,
    channel_type   VARCHAR NOT NULL,
    logged_in_ms   BIGINT,
    available_ms   BIGINT,
    idle_ms        BIGINT,
    busy_ms        BIGINT,
    wrapup_ms      BIGINT,
    tasks_handled  INTEGER,
    occupancy_pct  DOUBLE,
    PRIMARY KEY (org_id, agent_id, channel_type, interval_start)
);
