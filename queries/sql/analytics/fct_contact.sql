-- analytics.fct_contact: one row per contact (CSR grain, search.task_details), keyed to the
-- dimensions, with flags and durations only. The outcome flags are the platform's own, defined
-- as the marts count them (warehouse/schemas_analytics.py).
CREATE OR REPLACE VIEW analytics.fct_contact AS
SELECT
    org_id,
    id AS contact_id,
    created_time,
    ended_time,
    (created_time AT TIME ZONE 'UTC')::DATE AS created_date_utc,
    channel_type,
    direction,
    last_queue_id AS queue_id,
    last_agent_id AS agent_id,
    last_team_id AS team_id,
    last_site_id AS site_id,
    last_entry_point_id AS entry_point_id,
    last_wrap_up_code_id AS wrapup_code_id,
    coalesce(is_contact_handled, false) AND abandoned_type IS NULL AS is_answered,
    coalesce(is_contact_handled, false) AND abandoned_type IS NULL
        AND coalesce(is_with_in_service_level, false) AS is_answered_in_sl,
    coalesce(abandoned_type IN ('queue', 'short'), false) AS is_abandoned,
    coalesce(abandoned_sl_count, 0) > 0 AS is_abandoned_in_sl,
    coalesce(short_in_queue_count, 0) > 0 AS is_short_in_queue,
    coalesce(is_active, false) AS is_active,
    total_duration AS total_ms,
    selfservice_duration AS selfservice_ms,
    queue_duration AS queue_ms,
    ringing_duration AS ring_ms,
    connected_duration AS connected_ms,
    hold_duration AS hold_ms,
    consult_duration AS consult_ms,
    conference_duration AS conference_ms,
    wrapup_duration AS wrapup_ms,
    transfer_count AS n_transfers,
    consult_count AS n_consults,
    conference_count AS n_conferences,
    hold_count AS n_holds,
    csat_score
FROM search.task_details;
