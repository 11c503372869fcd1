-- reporting.tasks: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS reporting.tasks (
    org_id                       VARCHAR NOT NULL,
    id                           VARCHAR NOT NULL,
    attributes_owner_id          VARCHAR,
    attributes_owner_name        VARCHAR,
    attributes_queue_id          VARCHAR,
    attributes_queue_name        VARCHAR,
    attributes_channel_type      VARCHAR,
    attributes_status            VARCHAR,
    attributes_created_time      TIMESTAMPTZ,
    attributes_last_updated_time TIMESTAMPTZ,
    attributes_capture_requested BOOLEAN,
    attributes_origin            VARCHAR,
    attributes_destination       VARCHAR,
    attributes_direction         VARCHAR,
    attributes_reason_code       VARCHAR,
    PRIMARY KEY (org_id, id)
);
