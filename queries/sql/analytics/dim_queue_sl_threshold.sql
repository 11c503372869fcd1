-- analytics.dim_queue_sl_threshold: the history of each queue's service-level threshold, one row
-- per period a threshold was in force (valid_from inclusive, valid_to exclusive, NULL: still),
-- from the slaValue the platform recorded on each contact leg (search.task_leg_details). A
-- changed threshold starts a new row, so last year's service level keeps last year's threshold
-- (the marts count the per-contact isWithInServiceLevel flags, set with the threshold then).
CREATE OR REPLACE VIEW analytics.dim_queue_sl_threshold AS
WITH legs AS (
    SELECT
        org_id,
        queue_id,
        created_time,
        TRY_CAST(sla_value AS BIGINT) * 1000 AS sl_threshold_ms
    FROM search.task_leg_details
    WHERE queue_id IS NOT NULL AND sla_value IS NOT NULL
),
changes AS (
    SELECT
        *,
        sl_threshold_ms IS DISTINCT FROM lag(sl_threshold_ms) OVER (
            PARTITION BY org_id, queue_id ORDER BY created_time
        ) AS is_change
    FROM legs
),
periods AS (
    SELECT
        *,
        sum(is_change::INTEGER) OVER (
            PARTITION BY org_id, queue_id ORDER BY created_time
        ) AS period
    FROM changes
)
SELECT
    org_id,
    queue_id,
    any_value(sl_threshold_ms) AS sl_threshold_ms,
    min(created_time) AS valid_from,
    lead(min(created_time)) OVER (PARTITION BY org_id, queue_id ORDER BY min(created_time))
        AS valid_to,
    count(*) AS legs_seen
FROM periods
GROUP BY org_id, queue_id, period;
