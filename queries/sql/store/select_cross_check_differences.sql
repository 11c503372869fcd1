-- SQLite.
SELECT check_name, org_id, window_start, window_end, queue_id, interval_start_time, figure,
       reporting_value, search_value, checked_at
FROM cross_check_differences
