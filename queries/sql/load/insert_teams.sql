-- Insert a window's staged rows into wfo.teams.
INSERT INTO wfo.teams (
    org_id,
    team_id,
    name,
    activated_date,
    deactivated_date,
    parent_group_id,
    productivity_compilation,
    snapshot_date,
    snapshot_time
)
SELECT
    org_id,
    team_id,
    name,
    activated_date,
    deactivated_date,
    parent_group_id,
    productivity_compilation,
    snapshot_date,
    snapshot_time
FROM staged_teams;
