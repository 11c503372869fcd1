-- Insert a window's staged rows into legacy.aar.
INSERT INTO legacy.aar (
    org_id,
    id,
    session,
    stts,
    etts,
    agent_id,
    channel_id,
    channel_type,
    state,
    idle_code_name,
    wrapup_code_name,
    contact_session,
    queue_id,
    queue_name,
    is_outdial,
    duration
)
SELECT
    org_id,
    id,
    session,
    stts,
    etts,
    agent_id,
    channel_id,
    channel_type,
    state,
    idle_code_name,
    wrapup_code_name,
    contact_session,
    queue_id,
    queue_name,
    is_outdial,
    duration
FROM staged_aar;
