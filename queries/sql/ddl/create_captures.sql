-- reporting.captures: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS reporting.captures (
    org_id                  VARCHAR NOT NULL,
    task_id                 VARCHAR NOT NULL,
    id                      VARCHAR NOT NULL,
    task_created_time       TIMESTAMPTZ,
    segment                 BOOLEAN,
    attributes_file_name    VARCHAR,
    attributes_start_time   TIMESTAMPTZ,
    attributes_stop_time    TIMESTAMPTZ,
    attributes_participants JSON,
    attributes_channel1     VARCHAR,
    attributes_channel2     VARCHAR,
    attributes_call_type    VARCHAR,
    attributes_sensitive    BOOLEAN,
    attributes_file_path    VARCHAR,
    url_expires_at          TIMESTAMPTZ,
    PRIMARY KEY (org_id, task_id, id)
);
