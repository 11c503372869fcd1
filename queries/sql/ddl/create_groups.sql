-- wfo.groups: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS wfo.groups (
    org_id           VARCHAR NOT NULL,
    group_id         BIGINT NOT NULL,
    name             VARCHAR,
    activated_date   DATE,
    deactivated_date DATE,
    snapshot_date    DATE NOT NULL,
    snapshot_time    TIMESTAMPTZ,
    PRIMARY KEY (org_id, group_id, snapshot_date)
);
