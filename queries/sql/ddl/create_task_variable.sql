-- search.task_variable: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS search.task_variable (
    org_id            VARCHAR NOT NULL,
    task_id           VARCHAR NOT NULL,
    task_created_time TIMESTAMPTZ,
    name              VARCHAR NOT NULL,
    type              VARCHAR,
    string_value      VARCHAR,
    integer_value     BIGINT,
    double_value      DOUBLE,
    boolean_value     BOOLEAN,
    PRIMARY KEY (org_id, task_id, name)
);
