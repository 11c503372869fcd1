-- Insert a window's staged rows into wfo.groups.
INSERT INTO wfo.groups (
    org_id,
    group_id,
    name,
    activated_date,
    deactivated_date,
    snapshot_date,
    snapshot_time
)
SELECT
    org_id,
    group_id,
    name,
    activated_date,
    deactivated_date,
    snapshot_date,
    snapshot_time
FROM staged_groups;
