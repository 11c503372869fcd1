-- reporting.queue_statistics: columns, types and key from warehouse/schemas.py (python -m warehouse.ddl).
CREATE TABLE IF NOT EXISTS reporting.queue_statistics (
    org_id                             VARCHAR NOT NULL,
    interval_start_time                TIMESTAMPTZ NOT NULL,
    queue_id                           VARCHAR NOT NULL,
    queue_name                         VARCHAR,
    channel_type                       VARCHAR NOT NULL,
    total_offered_tasks                INTEGER,
    total_enqueued_tasks               INTEGER,
    total_assigned_tasks               INTEGER,
    total_accepted_tasks               INTEGER,
    total_rejected_tasks               INTEGER,
    total_abandoned_tasks              INTEGER,
    average_enqueued_time              DOUBLE,
    average_handled_time               DOUBLE,
    service_level_threshold_percentage DOUBLE,
    PRIMARY KEY (org_id, queue_id, interval_start_time, channel_type)
);
