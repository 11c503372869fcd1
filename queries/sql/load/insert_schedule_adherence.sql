-- Insert a window's staged rows into wfo.schedule_adherence.
INSERT INTO wfo.schedule_adherence (
    org_id,
    scheduled_start,
    scheduled_end,
    schedule_date,
    agent_id,
    person_id,
    agent_name,
    team_name,
    shift,
    scheduled_ms,
    logged_in_ms,
    in_adherence_ms,
    adherence_pct
)
SELECT
    org_id,
    scheduled_start,
    scheduled_end,
    schedule_date,
    agent_id,
    person_id,
    agent_name,
    team_name,
    shift,
    scheduled_ms,
    logged_in_ms,
    in_adherence_ms,
    adherence_pct
FROM staged_schedule_adherence;
