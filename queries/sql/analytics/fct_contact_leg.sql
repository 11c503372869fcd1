-- analytics.fct_contact_leg: one row per contact leg (CLR grain, search.task_leg_details): each
-- queue or agent a contact passed through, with its service-level threshold (slaValue) as the
-- platform applied it.
CREATE OR REPLACE VIEW analytics.fct_contact_leg AS
SELECT
    org_id,
    id AS leg_id,
    task_id AS contact_id,
    created_time,
    ended_time,
    channel_type,
    direction,
    queue_id,
    owner_id AS agent_id,
    team_id,
    site_id,
    entry_point_id,
    TRY_CAST(sla_value AS BIGINT) * 1000 AS sl_threshold_ms,
    coalesce(is_within_service_level, false) AS is_within_sl,
    coalesce(is_task_leg_handled, false) AS is_handled,
    abandoned_type,
    queue_duration AS queue_ms,
    ringing_duration AS ring_ms,
    connected_duration AS connected_ms,
    hold_duration AS hold_ms,
    consult_duration AS consult_ms,
    conference_duration AS conference_ms,
    wrapup_duration AS wrapup_ms,
    transfer_count AS n_transfers
FROM search.task_leg_details;
