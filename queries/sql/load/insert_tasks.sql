-- Insert a window's staged rows into reporting.tasks.
INSERT INTO reporting.tasks (
    org_id,
    id,
    attributes_owner_id,
    attributes_owner_name,
    attributes_queue_id,
    attributes_queue_name,
    attributes_channel_type,
    attributes_status,
    attributes_created_time,
    attributes_last_updated_time,
    attributes_capture_requested,
    attributes_origin,
    attributes_destination,
    attributes_direction,
    attributes_reason_code
)
SELECT
    org_id,
    id,
    attributes_owner_id,
    attributes_owner_name,
    attributes_queue_id,
    attributes_queue_name,
    attributes_channel_type,
    attributes_status,
    attributes_created_time,
    attributes_last_updated_time,
    attributes_capture_requested,
    attributes_origin,
    attributes_destination,
    attributes_direction,
    attributes_reason_code
FROM staged_tasks;
