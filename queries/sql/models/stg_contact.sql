-- stg_contact: one row per contact (Search API CSR, search.task_details) of org $org_id created
-- in [$source_start, $window_end), renamed and typed for the marts: durations default to 0 and
-- the outcome flags are the platform's own (isContactHandled, abandonedType,
-- isWithInServiceLevel, abandonedSlCount, shortInQueueCount), so a mart counts what Cisco counts.
-- $source_start is a day before the window: a task lives at most a day, so every contact that
-- ends in the window was created in it or the day before.
-- Grain: contact. Materialized: temporary table, per window (warehouse.marts).
CREATE OR REPLACE TEMP TABLE stg_contact AS
SELECT
    org_id,
    id AS contact_id,
    channel_type,
    direction,
    created_time,
    ended_time,
    last_queue_id AS queue_id,
    last_queue_name AS queue_name,
    last_agent_id AS agent_id,
    last_entry_point_id AS entry_point_id,
    coalesce(queue_duration, 0) AS queue_ms,
    coalesce(ringing_duration, 0) AS ring_ms,
    coalesce(connected_duration, 0) AS connected_ms,
    coalesce(hold_duration, 0) AS hold_ms,
    coalesce(wrapup_duration, 0) AS wrapup_ms,
    epoch_ms(ended_time) - epoch_ms(created_time) AS life_ms,
    coalesce(is_contact_handled, false) AND abandoned_type IS NULL AS is_answered,
    coalesce(is_with_in_service_level, false) AS is_within_sl,
    coalesce(abandoned_type IN ('queue', 'short'), false) AS is_abandoned,
    coalesce(abandoned_sl_count, 0) > 0 AS is_abandoned_in_sl,
    coalesce(short_in_queue_count, 0) > 0 AS is_short_in_queue,
    coalesce(transfer_count, 0) AS transfers,
    coalesce(consult_count, 0) AS consults,
    coalesce(conference_count, 0) AS conferences
FROM search.task_details
WHERE org_id = $org_id
    AND created_time >= $source_start
    AND created_time < $window_end;
