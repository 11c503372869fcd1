-- analytics.dim_queue: one row per queue: its latest name, channel, the service-level threshold
-- the platform applies now (the latest leg's slaValue, search.task_leg_details) and the time
-- zone its local marts use (the latest in analytics.queue_interval_15m). History of the
-- threshold: analytics.dim_queue_sl_threshold.
CREATE OR REPLACE VIEW analytics.dim_queue AS
WITH legs AS (
    SELECT
        org_id,
        queue_id,
        arg_max(queue_name, created_time) AS queue_name,
        arg_max(channel_type, created_time) AS channel_type,
        arg_max(TRY_CAST(sla_value AS BIGINT) * 1000, created_time)
            FILTER (WHERE sla_value IS NOT NULL) AS sl_threshold_ms
    FROM search.task_leg_details
    WHERE queue_id IS NOT NULL
    GROUP BY org_id, queue_id
),
zones AS (
    SELECT org_id, queue_id, arg_max(time_zone, interval_start) AS time_zone
    FROM analytics.queue_interval_15m
    GROUP BY org_id, queue_id
)
SELECT legs.*, zones.time_zone
FROM legs
LEFT JOIN zones USING (org_id, queue_id);
