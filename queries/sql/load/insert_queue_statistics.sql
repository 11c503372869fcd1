-- Insert a window's staged rows into reporting.queue_statistics.
INSERT INTO reporting.queue_statistics (
    org_id,
    interval_start_time,
    queue_id,
    queue_name,
    channel_type,
    total_offered_tasks,
    total_enqueued_tasks,
    total_assigned_tasks,
    total_accepted_tasks,
    total_rejected_tasks,
    total_abandoned_tasks,
    average_enqueued_time,
    average_handled_time,
    service_level_threshold_percentage
)
SELECT
    org_id,
    interval_start_time,
    queue_id,
    queue_name,
    channel_type,
    total_offered_tasks,
    total_enqueued_tasks,
    total_assigned_tasks,
    total_accepted_tasks,
    total_rejected_tasks,
    total_abandoned_tasks,
    average_enqueued_time,
    average_handled_time,
    service_level_threshold_percentage
FROM staged_queue_statistics;
