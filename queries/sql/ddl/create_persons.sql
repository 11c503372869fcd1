-- wfo.persons: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS wfo.persons (
    org_id            VARCHAR NOT NULL,
    user_id           BIGINT NOT NULL,
    email             VARCHAR,
    first_name        VARCHAR,
    last_name         VARCHAR,
    display_time_zone VARCHAR,
    login             VARCHAR,
    employee_id       VARCHAR,
    team              VARCHAR,
    activated         DATE,
    deactivated       DATE,
    locale            VARCHAR,
    roles             VARCHAR,
    acd_id            VARCHAR,
    acd_server_id     VARCHAR,
    enable_scheduling BOOLEAN,
    snapshot_date     DATE NOT NULL,
    snapshot_time     TIMESTAMPTZ,
    PRIMARY KEY (org_id, user_id, snapshot_date)
);
