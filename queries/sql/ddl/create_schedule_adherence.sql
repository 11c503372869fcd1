-- wfo.schedule_adherence: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS wfo.schedule_adherence (
    org_id          VARCHAR NOT NULL,
    scheduled_start TIMESTAMPTZ NOT NULL,
    scheduled_end   TIMESTAMPTZ,
    schedule_date   DATE,
    agent_id        VARCHAR NOT NULL,
    person_id       BIGINT,
    agent_name      VARCHAR,
    team_name       VARCHAR,
    shift           VARCHAR,
    scheduled_ms    BIGINT,
    logged_in_ms    BIGINT,
    in_adherence_ms BIGINT,
    adherence_pct   DOUBLE,
    PRIMARY KEY (org_id, agent_id, scheduled_start)
);
