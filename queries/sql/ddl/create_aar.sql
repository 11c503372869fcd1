-- legacy.aar: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS legacy.aar (
    org_id           VARCHAR NOT NULL,
    id               VARCHAR NOT NULL,
    session          VARCHAR,
    stts             TIMESTAMPTZ,
    etts             TIMESTAMPTZ,
    agent_id         VARCHAR,
    channel_id       VARCHAR,
    channel_type     VARCHAR,
    state            VARCHAR,
    idle_code_name   VARCHAR,
    wrapup_code_name VARCHAR,
    contact_session  VARCHAR,
    queue_id         VARCHAR,
    queue_name       VARCHAR,
    is_outdial       BOOLEAN,
    duration         BIGINT,
    PRIMARY KEY (org_id, id)
);
