-- Insert a window's staged rows into wfo.agent_interval_productivity.
INSERT INTO wfo.agent_interval_productivity (
    org_id,
    interval_start,
    agent_id,
    person_id,
    agent_name,
    team_name,
    channel_type,
    logged_in_ms,
    available_ms,
    idle_ms,
    busy_ms,
    wrapup_ms,
    tasks_handled,
    occupancy_pct
)
SELECT
    org_id,
    interval_start,
    agent_id,
    person_id,
    agent_name,
    team_name,
    channel_type,
    logged_in_ms,
    available_ms,
    idle_ms,
    busy_ms,
    wrapup_ms,
    tasks_handled,
    occupancy_pct
FROM staged_agent_interval_productivity;
