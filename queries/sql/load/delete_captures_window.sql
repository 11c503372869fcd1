-- Rows a reload of one window of reporting.captures replaces: those of org $org_id
-- whose task_created_time lies in [$window_start, $window_end) (TIMESTAMPTZ), and any older
-- version of a staged row, wherever it was loaded before.
DELETE FROM reporting.captures AS target
WHERE (
        target.org_id = $org_id
        AND target.task_created_time >= $window_start
        AND target.task_created_time < $window_end
    )
    OR EXISTS (
        SELECT 1 FROM staged_captures AS staged
        WHERE staged.org_id = target.org_id AND staged.task_id = target.task_id AND staged.id = target.id
    );
