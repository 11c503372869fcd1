-- Insert a window's staged rows into reporting.captures.
INSERT INTO reporting.captures (
    org_id,
    task_id,
    id,
    task_created_time,
    segment,
    attributes_file_name,
    attributes_start_time,
    attributes_stop_time,
    attributes_participants,
    attributes_channel1,
    attributes_channel2,
    attributes_call_type,
    attributes_sensitive,
    attributes_file_path,
    url_expires_at
)
SELECT
    org_id,
    task_id,
    id,
    task_created_time,
    segment,
    attributes_file_name,
    attributes_start_time,
    attributes_stop_time,
    attributes_participants,
    attributes_channel1,
    attributes_channel2,
    attributes_call_type,
    attributes_sensitive,
    attributes_file_path,
    url_expires_at
FROM staged_captures;
