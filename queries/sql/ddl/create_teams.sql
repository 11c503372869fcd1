-- wfo.teams: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS wfo.teams (
    org_id                   VARCHAR NOT NULL,
    team_id                  BIGINT NOT NULL,
    name                     VARCHAR,
    activated_date           DATE,
    deactivated_date         DATE,
    parent_group_id          BIGINT,
    productivity_compilation BOOLEAN,
    snapshot_date            DATE NOT NULL,
    snapshot_time            TIMESTAMPTZ,
    PRIMARY KEY (org_id, team_id, snapshot_date)
);
