-- wfo.evaluation_scores: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS wfo.evaluation_scores (
    org_id         VARCHAR NOT NULL,
    evaluation_id  VARCHAR NOT NULL,
    evaluated_time TIMESTAMPTZ,
    agent_id       VARCHAR,
    person_id      BIGINT,
    agent_name     VARCHAR,
    team_name      VARCHAR,
    form_id        BIGINT,
    form_name      VARCHAR,
    task_id        VARCHAR,
    channel_type   VARCHAR,
    score          DOUBLE,
    max_score      DOUBLE,
    passed         BOOLEAN,
    PRIMARY KEY (org_id, evaluation_id)
);
