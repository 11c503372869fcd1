-- legacy.car: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS legacy.car (
    org_id             VARCHAR NOT NULL,
    id                 VARCHAR NOT NULL,
    session            VARCHAR,
    cstts              TIMESTAMPTZ,
    cetts              TIMESTAMPTZ,
    event              VARCHAR,
    previous_state     VARCHAR,
    state              VARCHAR,
    channel_type       VARCHAR,
    agent_id           VARCHAR,
    agent_name         VARCHAR,
    agent_session_id   VARCHAR,
    queue_id           VARCHAR,
    queue_name         VARCHAR,
    entry_point_id     VARCHAR,
    activity_name      VARCHAR,
    termination_reason VARCHAR,
    duration           BIGINT,
    PRIMARY KEY (org_id, id)
);
