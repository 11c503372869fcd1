-- Forget the previous run of check $check_name over org $org_id's window
-- [$window_start, $window_end).
DELETE FROM ops.cross_check_differences
WHERE check_name = $check_name
    AND org_id = $org_id
    AND window_start = $window_start
    AND window_end = $window_end;
