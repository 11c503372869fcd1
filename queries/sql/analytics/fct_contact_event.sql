-- analytics.fct_contact_event: one row per contact event (CAR grain, search.task_activity): the
-- step-by-step path of a contact through flow, queue and agents.
CREATE OR REPLACE VIEW analytics.fct_contact_event AS
SELECT
    org_id,
    task_id AS contact_id,
    id AS event_id,
    created_time,
    ended_time,
    event_name,
    activity_type,
    activity_name,
    previous_state,
    next_state,
    queue_id,
    agent_id,
    team_id,
    site_id,
    entrypoint_id AS entry_point_id,
    duration AS duration_ms
FROM search.task_activity;
