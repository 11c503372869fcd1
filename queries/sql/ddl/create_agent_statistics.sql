-- reporting.agent_statistics: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS reporting.agent_statistics (
    org_id                  VARCHAR NOT NULL,
    interval_start_time     TIMESTAMPTZ NOT NULL,
    agent_id                VARCHAR NOT NULL,
    agent_name              VARCHAR,
    team_id                 VARCHAR,
    team_name               VARCHAR,
    channel_type            VARCHAR NOT NULL,
    total_assigned_tasks    INTEGER,
    total_offered_tasks     INTEGER,
    total_accepted_tasks    INTEGER,
    total_rejected_tasks    INTEGER,
    total_transferred_tasks INTEGER,
    total_engaged_duration  BIGINT,
    total_hold_duration     BIGINT,
    total_wrap_up_duration  BIGINT,
    total_available_time    BIGINT,
    total_un_available_time BIGINT,
    average_handled_time    DOUBLE,
    PRIMARY KEY (org_id, agent_id, interval_start_time, channel_type)
);
